// Where the commands read and write; tests pass their own.
import { readFileSync } from 'node:fs';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  stdin: () => string;
}

export const stdio: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stdin: () => readFileSync(0, 'utf8'),
};
