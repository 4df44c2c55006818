// Starts and stops the real mednum-kit binary for the browser tests: a fresh temporary data
// dir, port 0 on loopback, the address read from the "listening on" log line, SIGTERM to stop.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in tests/e2e/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The binary under test: $MEDNUM_KIT_BIN, else the debug build at the repo root. */
export const KIT_BIN = process.env.MEDNUM_KIT_BIN
  || path.join(process.env.CARGO_TARGET_DIR || path.join(REPO_ROOT, 'target'), 'debug', 'mednum-kit');

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Starts a kit on a new temporary data dir.
 * Resolves to { baseUrl, dataDir, log(), stop() } once the kit listens.
 */
export async function startKit({ bin = KIT_BIN, timeoutMs = START_TIMEOUT_MS } = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'mednum-kit-e2e-'));
  // Only what a process needs to run: no MEDNUM_KIT_* variable of the caller leaks in.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };
  // MEDNUM_E2E_VERBOSE=1: the kit logs every request (-v) and its log is echoed.
  const verbose = process.env.MEDNUM_E2E_VERBOSE ? ['-v'] : [];
  const child = spawn(bin, [...verbose, '--data-dir', dataDir, 'serve', '--listen', '127.0.0.1:0'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = [];
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A binary that cannot be spawned emits 'error' and maybe no 'exit'.
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });

  const kit = {
    dataDir,
    baseUrl: null,
    /** Runs `mednum-kit --data-dir DATA ...args` (an admin's command beside the running kit). */
    cli: (args) => runCli(['--data-dir', dataDir, ...args], { bin }),
    log: () => lines.join('\n'),
    stop: () => stopKit(child, exited, dataDir, lines),
  };

  try {
    kit.baseUrl = await new Promise((resolve, reject) => {
      let pending = '';
      const timer = setTimeout(
        () => reject(new Error(`the kit did not print "listening on" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      exited.then(({ code, signal, error }) => {
        clearTimeout(timer);
        reject(new Error(error
          ? `could not start ${bin}: ${error.message}`
          : `the kit exited before listening (code ${code}, signal ${signal})`));
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk) => {
        pending += chunk;
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          lines.push(line);
          if (process.env.MEDNUM_E2E_VERBOSE) process.stderr.write(`[kit] ${line}\n`);
          const m = line.match(/listening on (http:\/\/\S+)/);
          if (m) {
            clearTimeout(timer);
            resolve(m[1].replace(/\/$/, ''));
          }
        }
      });
    });
  } catch (err) {
    await kit.stop().catch(() => {});
    err.message += `\n--- kit log ---\n${lines.join('\n')}`;
    throw err;
  }
  return kit;
}

/** SIGTERM, wait for the exit (SIGKILL after a grace period), remove the data dir. */
async function stopKit(child, exited, dataDir, lines) {
  let status;
  try {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS);
    });
    status = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (status === null) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`the kit did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM`
        + `\n--- kit log ---\n${lines.join('\n')}`);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  return status;
}

/**
 * Runs the kit binary with `args`; resolves to { stdout, stderr } and rejects with both
 * when it exits non-zero.
 */
export function runCli(args, { bin = KIT_BIN } = {}) {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env }, (error, stdout, stderr) => {
      if (error) {
        error.message += `\n$ mednum-kit ${args.join(' ')}\n${stdout}${stderr}`;
        reject(error);
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}
