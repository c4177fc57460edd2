using System.Net;
using System.Text;

namespace ReplicaRouting.Samples.Shop;

/// <summary>The shop's HTML, kept deliberately plain: a form, an order page, a list.</summary>
internal static class Pages
{
    public static IResult Home() => Html("Place an order", """
        <form method="post" action="/orders">
          <label>Your name <input id="customer" name="customer" required maxlength="100"></label>
          <label>Item <input id="item" name="item" required maxlength="100"></label>
          <button id="place" type="submit">Place order</button>
        </form>
        <p><a href="/orders">Recent orders</a></p>
        """);

    public static IResult Order(Order order) => Html($"Order #{order.Id}", $"""
        <p id="status" class="found">Thank you, {Encode(order.Customer)}: your order is confirmed.</p>
        <dl><dt>Order</dt><dd id="order-id">{order.Id}</dd><dt>Item</dt><dd id="order-item">{Encode(order.Item)}</dd></dl>
        <p><a href="/">Place another order</a> · <a href="/orders">Recent orders</a></p>
        """);

    public static IResult NoSuchOrder(long id) => Html("No such order", $"""
        <p id="status" class="missing">No such order: #{id}. (This is the lost order: the page read a replica that has not applied it yet.)</p>
        """, StatusCodes.Status404NotFound);

    public static IResult List(IEnumerable<Order> orders)
    {
        var rows = new StringBuilder();
        foreach (var order in orders)
            rows.Append(CultureInvariant($"<tr><td><a href=\"/orders/{order.Id}\">{order.Id}</a></td><td>{Encode(order.Customer)}</td><td>{Encode(order.Item)}</td><td>{order.CreatedAt:u}</td></tr>"));
        return Html("Recent orders", $"""
            <table id="orders"><tr><th>#</th><th>Customer</th><th>Item</th><th>Placed</th></tr>{rows}</table>
            <p><a href="/">Place an order</a></p>
            """);
    }

    private const string Style =
        "body{font-family:sans-serif;max-width:40em;margin:2em auto} label{display:block;margin:.5em 0} .missing{color:#b00} .found{color:#070} td,th{padding:.2em .6em;text-align:left}";

    private static IResult Html(string title, string body, int status = StatusCodes.Status200OK) => Results.Content(
        $"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{Encode(title)} · ReplicaRouting shop</title>
        <style>{Style}</style>
        </head><body><h1>{Encode(title)}</h1>{body}</body></html>
        """,
        "text/html; charset=utf-8",
        Encoding.UTF8,
        status);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);
}
