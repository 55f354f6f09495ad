// `kure controller`: runs the operator until SIGTERM/SIGINT. Exit codes: 0 after a clean shutdown,
// 1 when it cannot start (no kubeconfig, port in use, ...), 2 for usage errors.
import { helpText, parseOptions, UsageError } from '../controller/options.js';
import { createLogger, scrubString } from '../controller/logger.js';

export interface ControllerIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Resolves when the process is asked to stop (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<string>;
}

const defaultIo: ControllerIo = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

function signals(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

export async function runController(argv: string[], io: ControllerIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`kure controller: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (parsed.help) {
    io.out(helpText());
    return 0;
  }
  const options = parsed.options;
  const logger = createLogger(options.logLevel);
  const stopSignal = io.stopSignal ?? signals();
  let manager;
  try {
    const { startManager } = await import('../controller/manager.js');
    manager = await startManager({ ...options, logger, defaultMetrics: true });
  } catch (err) {
    logger.fatal({ err }, 'kure controller could not start');
    io.err(`kure controller: could not start: ${scrubString((err as Error).message)}\n`);
    return 1;
  }
  // Timers inside are unref'd; keep the process alive until asked to stop.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const sig = await stopSignal;
  clearInterval(keepAlive);
  logger.info({ signal: sig }, 'stop requested');
  // A second signal while shutting down exits at once.
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  try {
    await manager.stop();
  } finally {
    process.off('SIGINT', force);
    process.off('SIGTERM', force);
  }
  return 0;
}
