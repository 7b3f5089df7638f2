export { exited, freePort, stopChild, track, waitForOutput } from './children.js';
export { type NatsServer, startNats } from './nats-server.js';
export { dechunk, openRaw, openSilent, type RawClient } from './raw-client.js';
export { type RedisCluster, type RedisClusterOptions, startRedisCluster } from './redis-cluster.js';
export { type RedisSentinelOptions, type RedisSentinels, startRedisSentinels } from './redis-sentinel.js';
export { type RedisServer, type RedisServerOptions, redisCli, startRedis } from './redis-server.js';
export { openSse, type ReceivedEvent, type SseReader, type SseReaderOptions } from './sse-reader.js';
export { type ListeningApp, type ListeningServer, type TestServers, testServers } from './test-servers.js';
export { settlesWithin, waitFor, waitUntil } from './wait.js';
