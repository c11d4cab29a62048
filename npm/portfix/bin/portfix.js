#!/usr/bin/env node
// The `portfix` command of the npm package: finds the binary of this platform's package (an
// optionalDependency that npm installed because its os/cpu/libc fields match) and runs it with
// the same arguments and stdio. No postinstall script, no download: npm did all the installing.
//
// - The binary's exit code is ours; when a signal ended it, we end by the same signal, so a
//   shell sees 130 after Ctrl-C and 143 after SIGTERM.
// - SIGTERM, SIGINT, SIGHUP, SIGQUIT sent to us are passed on, unless the terminal sent it to
//   our whole process group, portfix included (then passing it on would make it a second
//   request, which portfix takes as "stop at once").
// - PORTFIX_LAUNCHER_PID tells the binary that we are its parent: it then ends when we do, even
//   when we are SIGKILLed (src/os/launcher.rs), and its own clean-up ends the dev server.
'use strict';

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const PLATFORMS = require('../platforms.json');
// The repository this package was published from (scripts/dist writes it into package.json).
const REPO = String(require('../package.json').repository.url).replace(/^git\+/, '').replace(/\.git$/, '');
const OWNER = REPO.split('/').slice(-2)[0];
const INSTALL_OTHERWISE =
  'or install portfix another way: cargo binstall portfix, cargo install portfix, ' +
  `brew install ${OWNER}/tap/portfix, or an archive from ${REPO}/releases`;

function fail(message) {
  process.stderr.write(`portfix: ${message}\n`);
  process.exit(125);
}

function isMusl() {
  if (process.platform !== 'linux') return false;
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  return fs.existsSync(`/lib/ld-musl-${arch}.so.1`) && !fs.existsSync('/lib64/ld-linux-x86-64.so.2') &&
    !fs.existsSync('/lib/ld-linux-aarch64.so.1');
}

// The platform packages that can run here, best first. A static musl binary also runs on a
// glibc Linux, so it is the second choice there; a glibc binary does not run on musl.
function candidates() {
  const musl = isMusl();
  const fits = PLATFORMS.filter((p) => p.os === process.platform && p.cpu === process.arch);
  if (process.platform !== 'linux') return fits;
  const order = musl ? ['musl'] : ['glibc', 'musl'];
  return order.flatMap((libc) => fits.filter((p) => p.libc === libc));
}

function findBinary() {
  const fits = candidates();
  for (const p of fits) {
    let dir;
    try {
      dir = path.dirname(require.resolve(`${p.package}/package.json`));
    } catch {
      continue;
    }
    const bin = path.join(dir, 'bin', p.exe);
    if (fs.existsSync(bin)) return bin;
  }
  const here = `${process.platform}-${process.arch}${process.platform === 'linux' ? (isMusl() ? ' (musl)' : ' (glibc)') : ''}`;
  if (fits.length === 0) {
    const known = PLATFORMS.map((p) => p.package.replace(/^portfix-/, '')).join(', ');
    fail(`no portfix binary is built for ${here} (npm packages exist for ${known}): ${INSTALL_OTHERWISE.replace(/^or i/, 'i')}`);
  }
  fail(`no portfix binary for ${here}: the package ${fits[0].package} is not installed ` +
    `(npm leaves it out with --no-optional, --omit=optional, or a lockfile made on another platform); ` +
    `reinstall without that, ${INSTALL_OTHERWISE}`);
}

// True when the terminal sent `sig` to our whole process group (so the binary got it too):
// we have a controlling terminal, are in its foreground group, and, for Ctrl-C / Ctrl-\, the
// terminal turns those keys into signals (not in raw mode, where portfix passes keys on).
function terminalSentIt(sig) {
  if (sig === 'SIGTERM') return false;
  let tty;
  try {
    tty = fs.openSync('/dev/tty', 'r');
  } catch {
    return false;
  }
  try {
    const script = 'ps -o pgid= -o tpgid= -p "$1"; stty -a';
    const r = spawnSync('/bin/sh', ['-c', script, 'sh', String(process.pid)], {
      stdio: [tty, 'pipe', 'ignore'], encoding: 'utf8',
    });
    const [pgid, tpgid] = (r.stdout || '').trim().split(/\s+/);
    if (!pgid || pgid !== tpgid) return false;
    return sig === 'SIGHUP' || !/(^|\s)-isig(\s|$)/.test(r.stdout);
  } finally {
    fs.closeSync(tty);
  }
}

const bin = findBinary();
const env = { ...process.env, PORTFIX_LAUNCHER_PID: String(process.pid) };
const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit', env });

const FORWARDED = process.platform === 'win32' ? ['SIGINT', 'SIGBREAK'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
const handlers = {};
for (const sig of FORWARDED) {
  handlers[sig] = () => {
    // Windows: Ctrl-C and Ctrl-Break reach every process of the console, the binary too.
    if (process.platform === 'win32' || child.exitCode !== null || child.signalCode !== null) return;
    if (!terminalSentIt(sig)) child.kill(sig);
  };
  process.on(sig, handlers[sig]);
}

child.on('error', (err) => {
  fail(`could not run ${bin}: ${err.message}; reinstall the package, ${INSTALL_OTHERWISE}`);
});

child.on('exit', (code, signal) => {
  if (signal) {
    for (const sig of FORWARDED) process.removeListener(sig, handlers[sig]);
    process.kill(process.pid, signal);
    // Should the signal not end us (it is ignored here): the shell's 128+N all the same.
    setTimeout(() => process.exit(128 + (require('os').constants.signals[signal] || 0)), 1000);
    return;
  }
  process.exit(code === null ? 125 : code);
});
