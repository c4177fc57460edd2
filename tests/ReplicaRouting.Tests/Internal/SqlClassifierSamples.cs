namespace ReplicaRouting.Tests.Internal;

/// <summary>Representative command texts shared by the classifier tests.</summary>
internal static class SqlClassifierSamples
{
    /// <summary>About 2 KB of SQL shaped like what EF Core with Pomelo generates for a query with joins.</summary>
    public const string EfQuery = """
        SELECT `o`.`Id`, `o`.`CreatedAt`, `o`.`CustomerId`, `o`.`Status`, `o`.`Total`, `o`.`Currency`, `o`.`ShippingAddressId`,
               `c`.`Id`, `c`.`Email`, `c`.`DisplayName`, `c`.`CreatedAt`, `c`.`IsActive`,
               `s`.`Id`, `s`.`Name`, `s`.`Priority`, `k`.`Id`, `k`.`Code`, `k`.`Percent`, `k`.`ValidUntil`,
               `a`.`Id`, `a`.`Line1`, `a`.`Line2`, `a`.`City`, `a`.`PostalCode`, `a`.`CountryCode`,
               `t`.`Id`, `t`.`OrderId`, `t`.`ProductId`, `t`.`Quantity`, `t`.`UnitPrice`, `t`.`Id0`, `t`.`Name`, `t`.`Sku`
        FROM `Orders` AS `o`
        INNER JOIN `Customers` AS `c` ON `o`.`CustomerId` = `c`.`Id`
        INNER JOIN `CustomerSegments` AS `s` ON (`c`.`SegmentId` = `s`.`Id`) AND (`s`.`TenantId` = @__tenantId_7)
        LEFT JOIN `Coupons` AS `k` ON (`o`.`CouponId` = `k`.`Id`) AND (`k`.`ValidUntil` IS NULL OR `k`.`ValidUntil` > UTC_TIMESTAMP())
        LEFT JOIN `Addresses` AS `a` ON `o`.`ShippingAddressId` = `a`.`Id`
        LEFT JOIN (
            SELECT `l`.`Id`, `l`.`OrderId`, `l`.`ProductId`, `l`.`Quantity`, `l`.`UnitPrice`, `p`.`Id` AS `Id0`, `p`.`Name`, `p`.`Sku`
            FROM `OrderLines` AS `l`
            INNER JOIN `Products` AS `p` ON `l`.`ProductId` = `p`.`Id`
            WHERE `p`.`IsDeleted` = FALSE AND `p`.`Name` NOT LIKE '%update%'
        ) AS `t` ON `o`.`Id` = `t`.`OrderId`
        WHERE (`o`.`CustomerId` = @__customerId_0) AND (`o`.`CreatedAt` >= @__since_1) AND (`o`.`Status` IN (1, 2, 3))
            AND EXISTS (
                SELECT 1
                FROM `Payments` AS `p0`
                WHERE (`o`.`Id` = `p0`.`OrderId`) AND (`p0`.`State` = 'captured') AND (`p0`.`Amount` > 0.0)
            )
            AND (`c`.`Email` LIKE CONCAT(@__prefix_2, '%'))
            AND ((`o`.`Total` > @__minTotal_3) OR (`o`.`Currency` = 'EUR' AND `o`.`Total` > @__minTotalEur_4))
            AND (`o`.`Id` NOT IN (SELECT `r`.`OrderId` FROM `Refunds` AS `r` WHERE `r`.`CreatedAt` >= @__since_1))
            AND (COALESCE(`a`.`CountryCode`, 'US') IN ('US', 'CA', 'MX', 'DE', 'FR', 'NL', 'BE', 'IT', 'ES', 'PT'))
        ORDER BY `o`.`CreatedAt` DESC, `o`.`Id`, `c`.`Id`, `a`.`Id`, `t`.`Id`, `t`.`Id0`
        LIMIT @__p_5 OFFSET @__p_6
        """;

    /// <summary>The same query behind an EF Core TagWith block that carries the ReadFromPrimary hint.</summary>
    public const string EfQueryWithTags = "-- OrdersController.List\n-- ReplicaRouting:ReadFromPrimary\n\n" + EfQuery;

    /// <summary>The same query behind an EF Core TagWith block that carries the AllowStale hint (500 ms).</summary>
    public const string EfQueryWithAllowStale = "-- OrdersController.List\n-- ReplicaRouting:AllowStale=500ms\n\n" + EfQuery;
}
