/**
 * Runs the built `pigrid` CLI (dist/cli/pigrid.js) as its own process, the way a user or a script does, and
 * collects its output and exit code.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { appRoot } from '../shared/paths.js';

export const CLI = join(appRoot(), 'dist', 'cli', 'pigrid.js');

export interface CliRun {
  code: number | string;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json), undefined if it is not JSON. */
  json: any;
}

export function pigrid(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pigrid ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      let json: any;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? signal ?? -1, stdout, stderr, json });
    });
  });
}
