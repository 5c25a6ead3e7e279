export { ConfigError, commonEnv, env, loadConfig, LOG_LEVELS, type LogLevel } from './config';
export { errorHandler, healthRoutes, notFoundHandler, requestLogger, sendError } from './express';
export type { ReadinessCheck } from './express';
export { HttpError } from './http-error';
export { exitOnStartupError, serve, type Running, type ServeOptions } from './lifecycle';
export { createLogger, silentLogger, type Logger } from './logger';
export { createNullMetrics, createStatsdMetrics, elapsedMs, type Metrics } from './metrics';
export { TimeoutError, withTimeout } from './timeout';
