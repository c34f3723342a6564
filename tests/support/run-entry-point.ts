import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

const repoRoot = join(import.meta.dirname, '..', '..');

export interface EntryPointRun {
  code: number | null;
  signal: string | null;
  /** stdout and stderr together. */
  output: string;
}

/** Runs a service's entry point (`subgraphs/auth/src/index.ts`, ...) as a real process and collects how it ended. */
export function runEntryPoint(entry: string, env: Record<string, string>): Promise<EntryPointRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(repoRoot, 'node_modules', '.bin', 'tsx'), [entry], {
      cwd: repoRoot,
      // tsx's shebang runs `node` from PATH: the project's Node 24 (this process), not the system's.
      env: {
        ...process.env,
        PATH: `${dirname(process.execPath)}:${join(repoRoot, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    // A service that (wrongly) starts anyway must not outlive the test.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}
