#!/usr/bin/env node
// Lists the public API of every published package that has no TSDoc comment, and fails
// when there is any: every export reachable from each entry of the package's `exports`
// (packages/<name>/src/index.ts and subpaths such as @spane/core/store), the members
// of exported interfaces, and the public members of exported classes that implement no
// interface (a class implementing one inherits the interface's comments in editors).
//
//   node scripts/check-tsdoc.mjs [package ...]   # e.g. core bullmq; default: all public ones
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const names =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(join(root, 'packages')).filter((name) => {
        try {
          const pkg = JSON.parse(
            readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'),
          );
          return !pkg.private;
        } catch {
          return false;
        }
      });

const hasDoc = (node) => ts.getJSDocCommentsAndTags(node).length > 0;
const docNode = (decl) => (ts.isVariableDeclaration(decl) ? decl.parent.parent : decl);
const where = (node) => {
  const sf = node.getSourceFile();
  return `${relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
};

/** The source files of a package's `exports` entries (the `@spane/source` condition). */
function entriesOf(name) {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
  const sources = Object.values(pkg.exports ?? {})
    .map((target) => (typeof target === 'object' ? target['@spane/source'] : undefined))
    .filter((source) => typeof source === 'string');
  return (sources.length > 0 ? sources : ['./src/index.ts']).map((source) =>
    join(root, 'packages', name, source),
  );
}

// One program for every package: one type-check of the shared sources.
const program = ts.createProgram(names.flatMap(entriesOf), {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  customConditions: ['@spane/source'],
  skipLibCheck: true,
  noEmit: true,
});
const checker = program.getTypeChecker();
let missing = 0;
for (const name of names) {
  const own = `${join(root, 'packages', name, 'src')}/`;
  const gaps = [];
  const exports = entriesOf(name).flatMap((entry) =>
    checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry))),
  );
  for (const exported of exports) {
    const aliasDecl = exported.declarations?.[0];
    const symbol =
      exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const decls = symbol.declarations ?? [];
    const first = decls[0];
    if (!first?.getSourceFile().fileName.startsWith(own)) continue;
    if (ts.isSourceFile(first)) {
      // `export * as name from '…'`: the comment sits on the export declaration.
      const exportDecl = aliasDecl && ts.findAncestor(aliasDecl, ts.isExportDeclaration);
      if (!exportDecl || !hasDoc(exportDecl)) gaps.push(`${where(aliasDecl)}  ${exported.name}`);
      continue;
    }
    if (!decls.some((d) => hasDoc(docNode(d)))) gaps.push(`${where(first)}  ${exported.name}`);
    const isInterface = ts.isInterfaceDeclaration(first);
    const isPlainClass =
      ts.isClassDeclaration(first) &&
      !first.heritageClauses?.some((h) => h.token === ts.SyntaxKind.ImplementsKeyword);
    if (!isInterface && !isPlainClass) continue;
    for (const member of first.members) {
      if (!member.name || ts.isPrivateIdentifier(member.name)) continue;
      if (ts.isConstructorDeclaration(member)) continue;
      const mods = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
      if (
        mods.some(
          (m) =>
            m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword,
        )
      ) {
        continue;
      }
      if (!hasDoc(member))
        gaps.push(`${where(member)}    ${exported.name}.${member.name.getText()}`);
    }
  }
  missing += gaps.length;
  console.log(
    `check-tsdoc: @spane/${name}: ${gaps.length === 0 ? 'ok' : `${gaps.length} without TSDoc`}`,
  );
  for (const gap of gaps) console.log(`  ${gap}`);
}
process.exit(missing === 0 ? 0 : 1);
