/**
 * The property names the runtime bundle may shorten (esbuild's mangleProps):
 * those declared `private` (or `protected`) on a class in src/, and nowhere
 * else as a name anything outside a class body could read. esbuild renames
 * every property of a mangled name in the bundle, consistently; that is
 * safe exactly when no object that crosses the bundle's edge (the user's
 * options, JSON, worker messages, the other bundles, the platform's own
 * objects) has a property of that name. So a name is left alone when it is
 * also:
 *   - a public member, an interface or type member, an object literal key or
 *     a destructured key anywhere in src/ (anything typed can be read from outside);
 *   - exported, or an import's name (module namespaces are objects too);
 *   - a member of anything TypeScript's lib declares (the DOM, JS builtins);
 *   - any string literal in src/ (`'x' in o`, `o['x']`: esbuild keeps quoted names).
 * TypeScript forbids reading a private member from outside its class, so
 * what is left is only ever read by the class's own code, in this bundle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const require = createRequire(import.meta.url);

/** Every .ts file under `dir`. */
function tsFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const isHidden = (node) => ts.getCombinedModifierFlags(node) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected);

function nameText(name) {
  return name && (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name)) ? name.text : undefined;
}

/** Names in `file`: [private member names, every other name something outside a class body could read]. */
function namesIn(file, text, hidden, open) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isStringLiteralLike(node)) open.add(node.text);
    const n =
      ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node) || (ts.isParameter(node) && ts.isParameterPropertyDeclaration(node, node.parent))
        ? nameText(node.name)
        : undefined;
    if (n !== undefined) (isHidden(node) ? hidden : open).add(n);
    if (ts.isPropertySignature(node) || ts.isMethodSignature(node) || ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node) || ts.isEnumMember(node)) {
      const m = nameText(node.name);
      if (m !== undefined) open.add(m);
    }
    if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
      const m = nameText(node.propertyName ?? node.name);
      if (m !== undefined) open.add(m);
    }
    if (ts.isExportSpecifier(node) || ts.isImportSpecifier(node)) {
      open.add(node.name.text);
      if (node.propertyName) open.add(node.propertyName.text);
    }
    if ((ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isVariableStatement(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) && ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Export) {
      if (ts.isVariableStatement(node)) for (const d of node.declarationList.declarations) if (ts.isIdentifier(d.name)) open.add(d.name.text);
      else if (node.name) open.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

/** The names safe to mangle, given the repository root. */
export function privateOnlyNames(root) {
  const hidden = new Set();
  const open = new Set();
  for (const f of tsFiles(path.join(root, 'src'))) namesIn(f, readFileSync(f, 'utf8'), hidden, open);
  const lib = path.dirname(require.resolve('typescript/lib/lib.d.ts'));
  for (const f of readdirSync(lib)) if (/^lib\..*\.d\.ts$/.test(f)) namesIn(f, readFileSync(path.join(lib, f), 'utf8'), new Set(), open);
  return [...hidden].filter((n) => !open.has(n)).sort();
}
