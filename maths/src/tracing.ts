// Loaded FIRST by server.ts, before anything loads Express: OpenTelemetry,
// when OTEL_EXPORTER_OTLP_ENDPOINT asks for it (docs/observability.md).
import { startTracing } from '@friendly-calculator/common/tracing';

startTracing('maths');
