// Validates Kubernetes documents against the API's OpenAPI schemas, offline, two ways:
//   - the schema itself (kubernetes-models' generated validators, ajv): types, enums, formats,
//     required fields;
//   - TypeScript --strict over the documents written as typed object literals: the schemas allow
//     unknown fields, TypeScript's excess-property check does not, so a misspelled field name
//     fails here (the API server would drop it silently, or reject it with strict field
//     validation).
// Core kinds come from kubernetes-models, the CRDs from @kubernetes-models/cert-manager and
// @kubernetes-models/prometheus-operator.
//
// usage: node validate_k8s.js NODE_MODULES DOCS.json
//   DOCS.json: [{"where": "deploy/x.yaml#0", "doc": {...}}, ...]
// Prints "ok    WHERE: Kind/name" or "FAIL  WHERE: Kind/name: why" per document; exit 1 on any FAIL.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");

const [nodeModules, docsFile] = process.argv.slice(2);
const ts = require(path.join(nodeModules, "typescript"));
const docs = JSON.parse(fs.readFileSync(docsFile, "utf8"));

// apiVersion -> the package folder holding its models ("v1" is the core group).
const CRD_PACKAGES = {
  "cert-manager.io": "@kubernetes-models/cert-manager",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};
function modulePath(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const pkg = CRD_PACKAGES[group] || "kubernetes-models";
  return [pkg, group, apiVersion.slice(slash + 1), kind].filter(Boolean).join("/");
}

const results = docs.map((d) => ({ where: d.where, doc: d.doc, problems: [] }));
const label = (r) => `${r.doc.kind}/${(r.doc.metadata || {}).name || "?"}`;

// 1. The schema, at run time.
const typed = [];
results.forEach((r, i) => {
  const mod = modulePath(String(r.doc.apiVersion), String(r.doc.kind));
  let Model;
  try {
    Model = require(path.join(nodeModules, mod))[r.doc.kind];
  } catch (e) {
    r.problems.push(`no schema for apiVersion ${r.doc.apiVersion}, kind ${r.doc.kind}`);
    return;
  }
  try {
    new Model(JSON.parse(JSON.stringify(r.doc))).validate();
  } catch (e) {
    r.problems.push(String(e.message || e).replace(/\s+/g, " "));
  }
  typed.push({ i, mod });
});

// 2. TypeScript --strict: each document as `const dN: IKind = <its JSON>;` on its own lines, so
// a diagnostic's line tells which document it belongs to.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-schema-"));
try {
  fs.symlinkSync(nodeModules, path.join(dir, "node_modules"));
  const lines = [];
  const lineOwner = [];
  for (const { i, mod } of typed) {
    const body = JSON.stringify(results[i].doc, null, 2).split("\n");
    const chunk = [`import type { I${results[i].doc.kind} as T${i} } from "${mod}";`,
                   `export const d${i}: T${i} = ${body[0]}`, ...body.slice(1)];
    chunk[chunk.length - 1] += ";";
    for (const l of chunk) { lines.push(l); lineOwner.push(i); }
  }
  const file = path.join(dir, "docs.ts");
  fs.writeFileSync(file, lines.join("\n") + "\n");
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2020,
  });
  for (const diag of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(diag.messageText, " ");
    if (!diag.file || path.resolve(diag.file.fileName) !== path.resolve(file)) {
      console.log(`FAIL  TypeScript: ${text}`);
      process.exitCode = 1;
      continue;
    }
    const { line } = diag.file.getLineAndCharacterOfPosition(diag.start);
    results[lineOwner[line]].problems.push(`${text} (${lines[line].trim()})`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

for (const r of results) {
  if (r.problems.length === 0) {
    console.log(`ok    ${r.where}: ${label(r)} matches its schema`);
  } else {
    console.log(`FAIL  ${r.where}: ${label(r)}: ${r.problems.join("; ")}`);
    process.exitCode = 1;
  }
}
