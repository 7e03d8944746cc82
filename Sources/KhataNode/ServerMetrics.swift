import Metrics
import Prometheus

/// The process's swift-metrics backend: a `PrometheusMetricsFactory` over one
/// registry, bootstrapped at most once per process (swift-metrics allows one
/// bootstrap), so that the HTTP server's metrics reach a node's `/metrics`.
public enum ServerMetrics {
    /// Bootstraps swift-metrics on first use; the same registry afterwards.
    public static func bootstrap() -> PrometheusCollectorRegistry { registry }

    private static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}
