// Preloaded into a measured child process (`node --import <this file> ...`): when the process exits,
// writes its own resource usage to file descriptor 3 as JSON. getrusage(2) of the process itself, so
// the same peak RSS that GNU time's %M reports, without needing GNU time on the machine.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const u = process.resourceUsage();
  try {
    writeSync(3, JSON.stringify({ maxRssKb: u.maxRSS, userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000 }));
  } catch {
    // fd 3 is not open: not run by the benchmark
  }
});
