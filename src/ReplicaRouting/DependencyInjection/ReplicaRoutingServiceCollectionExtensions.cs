using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ReplicaRouting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ReplicaRouting in a service collection.</summary>
public static class ReplicaRoutingServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="ReplicaRoutingDataSource"/> (also as <see cref="DbDataSource"/>) and an
    /// <see cref="IRoutingSessionAccessor"/>, configured from a section shaped like <see cref="ReplicaRoutingServiceOptions"/>
    /// (by convention <c>ReplicaRouting</c>). The configuration is validated when the host starts: a bad value fails start-up
    /// with an <see cref="OptionsValidationException"/> naming its key. Calling this again registers nothing twice.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section, e.g. <c>builder.Configuration.GetSection("ReplicaRouting")</c>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddReplicaRouting(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(services, (configuration as IConfigurationSection)?.Path ?? "");
        services.AddSingleton<IConfigureOptions<ReplicaRoutingServiceOptions>>(new BindServiceOptions(configuration));
        return services;
    }

    /// <summary>
    /// Registers a <see cref="ReplicaRoutingDataSource"/> (also as <see cref="DbDataSource"/>) and an
    /// <see cref="IRoutingSessionAccessor"/>, configured in code. The options are validated when the host starts; failures
    /// name the configuration key the setting would have under a <c>ReplicaRouting</c> section (e.g. <c>ReplicaRouting:Primary</c>).
    /// Calling this again registers nothing twice; its <paramref name="configure"/> runs after the earlier ones.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the primary, the replicas and the options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddReplicaRouting(this IServiceCollection services, Action<ReplicaRoutingServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services, ReplicaRoutingMarker.DefaultSectionName);
        services.Configure(configure);
        return services;
    }

    /// <summary>
    /// Registers one more cluster or database under <paramref name="serviceKey"/> (.NET keyed services): a keyed
    /// <see cref="ReplicaRoutingDataSource"/> (also as keyed <see cref="DbDataSource"/>, resolved with
    /// <c>[FromKeyedServices("orders")]</c> or <c>GetRequiredKeyedService</c>), its own named options bound from
    /// <paramref name="configuration"/> and validated at start (failures name its keys), and its own topology monitor.
    /// The unkeyed registration is independent of it. Calling this again with the same key registers nothing twice.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key, e.g. <c>"orders"</c>; also the name of its options.</param>
    /// <param name="configuration">Its configuration section, e.g. <c>builder.Configuration.GetSection("ReplicaRouting:Orders")</c>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddReplicaRouting(this IServiceCollection services, string serviceKey, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceKey);
        ArgumentNullException.ThrowIfNull(configuration);
        if (AddKeyedCore(services, serviceKey, (configuration as IConfigurationSection)?.Path ?? ""))
            services.AddSingleton<IConfigureOptions<ReplicaRoutingServiceOptions>>(new ConfigureNamedOptions<ReplicaRoutingServiceOptions>(serviceKey, new BindServiceOptions(configuration).Configure));
        return services;
    }

    /// <summary>Registers one more cluster or database under <paramref name="serviceKey"/>, configured in code; see the configuration overload.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key, e.g. <c>"orders"</c>; also the name of its options.</param>
    /// <param name="configure">Sets the primary, the replicas and the options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddReplicaRouting(this IServiceCollection services, string serviceKey, Action<ReplicaRoutingServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceKey);
        ArgumentNullException.ThrowIfNull(configure);
        AddKeyedCore(services, serviceKey, $"{ReplicaRoutingMarker.DefaultSectionName}:{serviceKey}");
        services.Configure(serviceKey, configure);
        return services;
    }

    /// <summary>Registers the keyed services once per key; false when <paramref name="serviceKey"/> was registered already.</summary>
    private static bool AddKeyedCore(IServiceCollection services, string serviceKey, string sectionPath)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(ReplicaRoutingDataSource) && Equals(descriptor.ServiceKey, serviceKey))
                return false;
        }

        services.AddOptions<ReplicaRoutingServiceOptions>(serviceKey).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReplicaRoutingServiceOptions>>(new ReplicaRoutingServiceOptionsValidator(serviceKey, sectionPath));
        services.AddKeyedSingleton(serviceKey, (sp, _) => CreateDataSource(sp, sp.GetRequiredService<IOptionsMonitor<ReplicaRoutingServiceOptions>>().Get(serviceKey)));
        services.AddKeyedSingleton<DbDataSource>(serviceKey, (sp, key) => sp.GetRequiredKeyedService<ReplicaRoutingDataSource>(key));
        services.AddSingleton<Hosting.IHostedService>(sp => new TopologyMonitorHostedService(sp.GetRequiredKeyedService<ReplicaRoutingDataSource>(serviceKey)));
        services.TryAddSingleton<IRoutingSessionAccessor, RoutingSessionAccessor>();
        return true;
    }

    private static void AddCore(IServiceCollection services, string sectionPath)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(ReplicaRoutingMarker))
                return;
        }

        var marker = new ReplicaRoutingMarker(sectionPath);
        services.AddSingleton(marker);
        services.AddOptionsWithValidateOnStart<ReplicaRoutingServiceOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReplicaRoutingServiceOptions>>(new ReplicaRoutingServiceOptionsValidator(Options.Options.DefaultName, marker.SectionPath)));
        services.TryAddSingleton(sp => CreateDataSource(sp, sp.GetRequiredService<IOptions<ReplicaRoutingServiceOptions>>().Value));   // validated on access too
        services.TryAddSingleton<DbDataSource>(sp => sp.GetRequiredService<ReplicaRoutingDataSource>());
        services.TryAddSingleton<IRoutingSessionAccessor, RoutingSessionAccessor>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Hosting.IHostedService, TopologyMonitorHostedService>());
    }

    private static ReplicaRoutingDataSource CreateDataSource(IServiceProvider services, ReplicaRoutingServiceOptions options)
    {
        var builder = new ReplicaRoutingDataSourceBuilder()
            .UsePrimary(options.Primary!)
            .UseOptions(options.Routing)
            .UseLoggerFactory(services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance)
            .UseTimeProvider(services.GetService<TimeProvider>() ?? TimeProvider.System);
        foreach (var replica in options.Replicas)
            builder.AddReplica(replica);
        return builder.Build();
    }

    /// <summary>
    /// Binds a section. A configured replica list replaces the list rather than adding to it (the binder appends), so binding
    /// the same section twice changes nothing.
    /// </summary>
    private sealed class BindServiceOptions(IConfiguration configuration) : IConfigureOptions<ReplicaRoutingServiceOptions>
    {
        public void Configure(ReplicaRoutingServiceOptions options)
        {
            if (configuration.GetSection(nameof(options.Replicas)).GetChildren().Any())
                options.Replicas.Clear();
            configuration.Bind(options);
        }
    }
}
