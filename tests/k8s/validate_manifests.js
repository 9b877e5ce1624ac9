#!/usr/bin/env node
// Validates Kubernetes manifests against the Kubernetes API schemas, as kubectl's strict
// validation would before anything reaches a cluster:
//   1. every document's apiVersion/kind is a built-in Kubernetes type, and the object passes
//      that type's OpenAPI schema (types, required fields, enums, formats) as the npm package
//      kubernetes-models compiles it;
//   2. no field is unknown: the OpenAPI schemas leave objects open, so unknown fields (typos)
//      are found with TypeScript's excess-property check against the same package's type
//      declarations (kubectl --validate=strict rejects them too);
//   3. no key appears twice in a mapping (the YAML parser's uniqueKeys).
// Usage: node validate_manifests.js FILE.yaml...        exit 0 all valid, 1 otherwise
//        node validate_manifests.js --self-test FILE.yaml...
//          the same files, each broken in three ways; exit 0 when every break is reported
// Installed by `npm ci` from package-lock.json beside this file (ctest: k8s_npm_ci).
"use strict";

const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const ts = require("typescript");

/** The model class of apiVersion/kind, or an error message. */
function modelClass(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return { error: "apiVersion and kind must be strings" };
  }
  let module;
  try {
    module = require(`kubernetes-models/${apiVersion}`);
  } catch (error) {
    return { error: `apiVersion ${apiVersion} is not a built-in Kubernetes API group/version` };
  }
  if (typeof module[kind] !== "function") {
    return { error: `kind ${kind} does not exist in ${apiVersion}` };
  }
  return { cls: module[kind] };
}

/** Schema errors of one object (kubernetes-models' compiled OpenAPI schema). */
function schemaErrors(object) {
  const { cls, error } = modelClass(object.apiVersion, object.kind);
  if (error) return { errors: [error] };
  try {
    new cls(object).validate();
    return { errors: [], cls };
  } catch (failure) {
    return { errors: [String(failure.message || failure)], cls };
  }
}

/** Unknown fields in the given objects (TypeScript excess-property check), one message each. */
function unknownFieldErrors(objects) {
  const file = path.join(__dirname, "__manifests__.ts");
  const lines = [];
  objects.forEach(({ object }, i) => {
    const module = `kubernetes-models/${object.apiVersion}/${object.kind}`;
    lines.push(`import type { I${object.kind} as T${i} } from ${JSON.stringify(module)};`);
  });
  objects.forEach(({ object }, i) => {
    lines.push(`export const d${i}: T${i} = ${JSON.stringify(object, null, 2)};`);
  });
  const source = lines.join("\n") + "\n";
  const options = {
    noEmit: true,
    strict: true,
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: [],
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => (name === file ? source : readFile(name));
  host.fileExists = ((exists) => (name) => name === file || exists(name))(host.fileExists);
  host.getSourceFile = (name, version) =>
    name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version);
  const program = ts.createProgram([file], options, host);
  const messages = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
    if (!diagnostic.file || diagnostic.file.fileName !== file) {
      messages.push({ where: null, text });
      continue;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    // Which object the line belongs to: the last `export const dN` at or above it.
    const sourceLines = source.split("\n");
    let index = -1;
    for (let l = line; l >= 0; --l) {
      const match = /^export const d(\d+):/.exec(sourceLines[l]);
      if (match) {
        index = Number(match[1]);
        break;
      }
    }
    messages.push({ where: index, text: `${text} (at: ${sourceLines[line].trim()})` });
  }
  return messages;
}

/** Every problem of the given files: [{file, message}]. */
function validateFiles(files) {
  const problems = [];
  const objects = [];
  for (const { name, text } of files) {
    const documents = YAML.parseAllDocuments(text, { uniqueKeys: true });
    let count = 0;
    documents.forEach((document, d) => {
      for (const error of document.errors) {
        problems.push({ file: name, message: `document ${d + 1}: ${error.message}` });
      }
      if (document.errors.length) return;
      const object = document.toJS();
      if (object === null || object === undefined) return;
      ++count;
      const where = `document ${d + 1} (${object.kind} ${object.metadata && object.metadata.name})`;
      const { errors, cls } = schemaErrors(object);
      for (const message of errors) problems.push({ file: name, message: `${where}: ${message}` });
      if (cls) objects.push({ name, where, object });
    });
    if (count === 0) problems.push({ file: name, message: "no Kubernetes object in the file" });
  }
  if (objects.length) {
    for (const { where, text } of unknownFieldErrors(objects)) {
      const owner = where === null || where < 0 ? { name: "(type check)", where: "" } : objects[where];
      problems.push({ file: owner.name, message: `${owner.where}: ${text}` });
    }
  }
  return problems;
}

/** Three broken variants of a file's first object: unknown field, wrong type, duplicate key. */
function brokenVariants({ name, text }) {
  const object = YAML.parseAllDocuments(text)[0].toJS();
  const unknown = structuredClone(object);
  const template = unknown.spec.template;
  // Deep in a pod template where there is one (an array element), else in spec.
  const [owner, field] = template
    ? [template.spec.containers[0], "spec.template.spec.containers[0].argz"]
    : [unknown.spec, "spec.specTypo"];
  owner[field.split(".").pop()] = [];
  const wrongType = structuredClone(object);
  wrongType.metadata.name = 42;
  return [
    { name: `${name} + unknown field ${field}`, text: YAML.stringify(unknown) },
    { name: `${name} + metadata.name a number`, text: YAML.stringify(wrongType) },
    { name: `${name} + duplicate key`, text: `${text.trimEnd()}\nkind: ${object.kind}\n` },
  ];
}

function main(argv) {
  const selfTest = argv[0] === "--self-test";
  const names = selfTest ? argv.slice(1) : argv;
  if (!names.length) {
    console.error("usage: validate_manifests.js [--self-test] FILE.yaml...");
    return 2;
  }
  const files = names.map((name) => ({ name, text: fs.readFileSync(name, "utf8") }));
  if (!selfTest) {
    const problems = validateFiles(files);
    for (const { file, message } of problems) console.log(`${file}: ${message}`);
    if (problems.length) return 1;
    console.log(`${files.length} manifest file(s) valid: ${names.join(", ")}`);
    return 0;
  }
  let missed = 0;
  for (const file of files) {
    for (const variant of brokenVariants(file)) {
      const problems = validateFiles([variant]);
      if (problems.length === 0) {
        console.log(`NOT REJECTED: ${variant.name}`);
        ++missed;
      } else {
        console.log(`rejected as expected: ${variant.name}: ${problems[0].message}`);
      }
    }
  }
  return missed === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
