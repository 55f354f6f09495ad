// `kure controller`: runs the operator until SIGTERM/SIGINT. Exit codes: 0 after a clean shutdown,
// 1 when it cannot start (no kubeconfig, port in use, ...), 2 for usage errors.
//
// A start-up failure is logged once (one fatal record, no stack trace for an expected error such as
// EADDRINUSE) and the process exits 1 at once: startManager may already have started informers (open
// watch connections, retry timers) before the failing step, and those would keep Node running, with
// the SIGTERM handler installed for the running controller swallowing the signal. As controller-runtime's
// main does (os.Exit(1) when mgr.Start fails), the process ends instead of waiting for them.
import type { DestinationStream } from 'pino';
import { helpText, parseOptions, UsageError } from '../controller/options.js';
import { createLogger } from '../controller/logger.js';

export interface ControllerIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Resolves when the process is asked to stop (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<string>;
  /** Where log records go (default: stdout). */
  log?: DestinationStream;
  /**
   * Ends the process with this code once the controller has started or failed to (default:
   * process.exit). Without it (in-process tests) runController only returns the code.
   */
  exit?: (code: number) => void;
}

const defaultIo: ControllerIo = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  exit: (code) => process.exit(code),
};

/** SIGTERM or SIGINT, once; cancel() gives the signals back to Node's default (terminate). */
function signals(): { signal: Promise<string>; cancel: () => void } {
  let on: (sig: NodeJS.Signals) => void = () => undefined;
  const cancel = () => {
    process.off('SIGTERM', on);
    process.off('SIGINT', on);
  };
  const signal = new Promise<string>((resolve) => {
    on = (sig: NodeJS.Signals) => {
      cancel();
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
  return { signal, cancel };
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
  const logger = createLogger(options.logLevel, io.log, options.logFormat);
  const done = (code: number) => {
    io.exit?.(code);
    return code;
  };
  // Installed before start: a SIGTERM during start-up stops the controller once it is up.
  const stop = io.stopSignal ? { signal: io.stopSignal, cancel: () => undefined } : signals();
  let manager;
  try {
    const { startManager } = await import('../controller/manager.js');
    manager = await startManager({ ...options, logger, defaultMetrics: true });
  } catch (err) {
    stop.cancel();
    logger.fatal({ err }, 'kure controller could not start');
    return done(1);
  }
  // Timers inside are unref'd; keep the process alive until asked to stop.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const sig = await stop.signal;
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
  return done(0);
}
