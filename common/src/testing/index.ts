export {
  freePort,
  startRedisServer,
  type RedisServer,
  type RedisServerOptions,
} from './redis-server';
export { startStatsdReceiver, type StatsdReceiver } from './statsd-receiver';
