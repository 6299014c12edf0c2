/**
 * `npm run stack:up | stack:down | stack:status`: the local Kafka + schema registry for development and tests.
 * The stack lives in `.stack/` at the repo root, or in `$STACK_DIR`.
 */
import { isAbsolute, relative } from 'node:path';
import { stackDirOf, stackDown, stackStatus, stackUp } from './stack';

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'up': {
      const result = await stackUp();
      const dir = shortPath(stackDirOf());
      process.stdout.write(
        `KAFKA_BROKERS=${result.kafkaBrokers}\nSCHEMA_REGISTRY_URL=${result.schemaRegistryUrl}\n`,
      );
      process.stderr.write(
        `stack: ${result.reused ? 'reused' : 'started'}; settings in ${dir}/env, logs in ${dir}/logs/\n`,
      );
      return;
    }
    case 'down': {
      const stopped = await stackDown();
      const ran = stopped.filter((s) => s.running);
      process.stderr.write(
        ran.length > 0
          ? `stack: stopped ${ran.map((s) => `${s.name} (pid ${s.pid})`).join(', ')}\n`
          : 'stack: nothing was running\n',
      );
      return;
    }
    case 'status': {
      const { env, servers } = stackStatus();
      if (!env) {
        process.stdout.write('stack: not started\n');
        return;
      }
      for (const s of servers) {
        const rss = s.rssMiB === undefined ? '' : `, RSS ${s.rssMiB} MiB`;
        const name = s.nodeId === undefined ? s.name : `${s.name} node ${s.nodeId}`;
        process.stdout.write(
          `${name}: ${s.running ? 'running' : 'stopped'} (pid ${s.pid}, port ${s.port}${rss})\n`,
        );
      }
      process.stdout.write(
        `KAFKA_BROKERS=${env.kafkaBrokers}\nSCHEMA_REGISTRY_URL=${env.schemaRegistryUrl}\n`,
      );
      return;
    }
    default:
      throw new Error('usage: stack up | down | status');
  }
}

/** Relative to the working directory (the repo root under npm) when inside it. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

main(process.argv[2]).catch((err: unknown) => {
  process.stderr.write(`stack: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
