// Long-running helper processes of the end-to-end tests (Flux and Argo CD controllers, Redis) that
// must never outlive the test run, whatever happens to it: each runs under a small `sh` watchdog in
// its own process group, with a pipe on the watchdog's stdin. When this Node process exits, is killed,
// or the test forgets to stop it, the pipe closes and the watchdog terminates the program (the
// upstream binaries have no "exit when the parent dies" option of their own). stop() sends SIGTERM
// and, after a grace period, SIGKILL to the whole group.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the program's exit code (128 + n for a signal) once it has ended. */
  readonly exited: Promise<number>;
  /** The last lines of its stdout and stderr (also written to the log file, when given). */
  tail(lines?: number): string;
  /** Resolves with the first output line that matches, rejects when the program ends first or after timeoutMs. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then SIGKILL to the process group after graceMs; resolves when it has ended. Idempotent. */
  stop(graceMs?: number): Promise<number>;
}

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Append stdout and stderr here. */
  logFile?: string;
}

// "$@" is the program. Its stdin is /dev/null; the watchdog's stdin (fd 3) is our pipe: EOF there
// means the test process is gone. SIGTERM to the watchdog is forwarded; the loop waits until the
// program has really exited (a trapped signal interrupts `wait`).
const WATCHDOG = `
exec 3<&0
"$@" </dev/null 3<&- &
c=$!
trap 'kill -TERM "$c" 2>/dev/null' TERM INT HUP
{ cat <&3 >/dev/null; kill -TERM "$c" 2>/dev/null; } &
w=$!
s=0
while kill -0 "$c" 2>/dev/null; do wait "$c"; s=$?; done
kill "$w" 2>/dev/null
exit "$s"
`;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous last resort on a normal exit of this process; the watchdog covers the rest.
  process.on('exit', () => {
    for (const child of live) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export function startManagedProcess(options: ManagedProcessOptions): ManagedProcess {
  installExitHook();
  const child = spawn('sh', ['-c', WATCHDOG, 'sh', options.command, ...options.args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true, // own process group: stop() can signal the program and the watchdog together
  });
  live.add(child);
  const log: WriteStream | undefined = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const recent: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const onLine = (line: string) => {
    // Output still buffered when the process exits arrives after the log was ended: kept in `recent` only.
    if (log && !log.writableEnded) log.write(line + '\n');
    recent.push(line);
    if (recent.length > 200) recent.shift();
    for (const l of listeners) l(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? (signal ? 128 : -1));
    });
    child.on('error', (err) => {
      onLine(`spawn error: ${err.message}`);
      live.delete(child);
      resolve(-1);
    });
  });
  void exited.then(() => log?.end());
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  let stopping: Promise<number> | undefined;

  return {
    name: options.name,
    pid: child.pid ?? -1,
    exited,
    tail: (lines = 40) => recent.slice(-lines).join('\n'),
    waitForLine(re, timeoutMs = 60_000) {
      const found = recent.find((l) => re.test(l));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const done = (err: Error | undefined, line?: string) => {
          clearTimeout(timer);
          listeners.delete(listener);
          if (err) reject(err);
          else resolve(line!);
        };
        const listener = (line: string) => {
          if (re.test(line)) done(undefined, line);
        };
        const timer = setTimeout(() => done(new Error(`${options.name}: no line matching ${re} after ${timeoutMs} ms:\n${recent.slice(-30).join('\n')}`)), timeoutMs);
        listeners.add(listener);
        void exited.then((code) => done(new Error(`${options.name} exited with ${code} before printing ${re}:\n${recent.slice(-30).join('\n')}`)));
      });
    },
    stop(graceMs = 15_000) {
      stopping ??= (async () => {
        if (!ended()) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => {
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              // gone
            }
          }, graceMs);
          await exited;
          clearTimeout(timer);
        }
        child.stdin?.destroy();
        // The watchdog may have exited on its own while the program lingers: make sure the group is gone.
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
        return exited;
      })();
      return stopping;
    },
  };
}

/** A free loopback TCP port (closed again before it is returned; fine for tests on one machine). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as import('node:net').AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
