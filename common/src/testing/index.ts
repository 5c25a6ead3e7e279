export {
  freePort,
  startRedisServer,
  type RedisServer,
  type RedisServerOptions,
} from './redis-server';
export {
  startStatsdPair,
  startStatsdReceiver,
  type StatsdPair,
  type StatsdReceiver,
} from './statsd-receiver';
export { trickle, type Trickled } from './trickle';
export { capturingLogger, PINO_ERROR } from './capturing-logger';
export { checkEveryAnswer, OpenApiChecker } from './openapi-check';
export {
  startSentinelGroup,
  type SentinelGroup,
  type SentinelGroupOptions,
} from './sentinel-group';
