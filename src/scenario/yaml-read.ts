/**
 * Reading a scenario file's text (YAML, of which JSON is a subset) into plain data within limits,
 * so that a file nested thousands of levels deep, an alias that names nothing or loops, or an alias
 * bomb ("billion laughs") is refused with a {@link ValidationError} naming the problem, the place
 * and the limit, instead of exhausting the stack or memory.
 *
 * The yaml library's lexer loops, but its parser recurses as block mappings close, and composing
 * and converting recurse once per level: the depth is bounded first on the lexer's tokens
 * (brackets, and indentation levels), then measured on the parser's tokens, then on the composed
 * document with aliases expanded. Alias expansion is bounded by the library's own `maxAliasCount`.
 *
 * @module
 */
import { CST, isAlias, isCollection, isNode, isPair, Lexer, Parser, parseDocument } from 'yaml';
import { ValidationError } from '../core/errors.js';

/** The limits of reading a scenario file's YAML or JSON. */
const YAML_LIMITS = {
  /** Lists and mappings inside one another, aliases expanded (a scenario's deepest field is 6). */
  maxDepth: 64,
  /** The yaml library's `maxAliasCount`: alias uses, each weighted by the aliases in what it names. */
  maxAliasCount: 100,
} as const;

/** `line L, column C` of `offset` in `text`. */
function place(text: string, offset: number): string {
  const lines = text.slice(0, offset).split('\n');
  return `line ${lines.length}, column ${(lines.at(-1) ?? '').length + 1}`;
}

/** Lexer tokens that are markers, not source text (they take no room in the text). */
const MARKERS = new Set([CST.DOCUMENT, CST.FLOW_END, CST.SCALAR]);
const BLOCK_INDICATORS = new Set(['seq-item-ind', 'explicit-key-ind', 'map-value-ind']);

/**
 * Where brackets and block indentation levels open together first reach past `max`, if they go on
 * past `2 × max`; else null: a bound found before the parser runs. Every list or mapping in
 * brackets adds a level; in block style, every line (after any `- `, `? `, `: ` at its start)
 * indented further than the open ones does. A level so counted is at most one list or mapping and a value on its own line,
 * and block nesting is at most twice the indentation levels (a list may sit at its key's
 * indentation): past `2 × max` the file is nested more than `max` deep; short of it, the parser
 * sees at most `4 × max` levels, and the tokens it yields are measured exactly.
 */
function tooDeepInLexemes(text: string, max: number): number | null {
  const indents: number[] = [];
  let [flow, offset, column, lineStart] = [0, 0, 0, true];
  let firstPast: number | null = null;
  for (const lexeme of new Lexer().lex(text)) {
    if (MARKERS.has(lexeme)) continue;
    const type = CST.tokenType(lexeme) ?? 'scalar';
    if (type === 'flow-map-start' || type === 'flow-seq-start') flow++;
    else if (type === 'flow-map-end' || type === 'flow-seq-end') flow = Math.max(0, flow - 1);
    else if (type === 'doc-start') indents.length = 0;
    const content = type !== 'space' && type !== 'newline' && type !== 'comment';
    if (lineStart && flow === 0 && content) {
      while ((indents.at(-1) ?? -1) >= column) indents.pop();
      indents.push(column);
    }
    if (indents.length + flow > max) firstPast ??= offset;
    if (indents.length + flow > 2 * max) return firstPast;
    offset += lexeme.length;
    if (lexeme.endsWith('\n')) [column, lineStart] = [0, true];
    else if (lineStart && (type === 'space' || BLOCK_INDICATORS.has(type))) column += lexeme.length;
    else if (content) lineStart = false;
  }
  return null;
}

/** The offset of the first list or mapping nested more than `max` deep in the tokens, or null. */
function tooDeepInTokens(text: string, max: number): number | null {
  const stack: Array<[CST.Token | null | undefined, number]> = [];
  for (const token of new Parser().parse(text)) stack.push([token, 0]);
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [token, depth] = next;
    if (token?.type === 'document') stack.push([token.value, depth]);
    else if (CST.isCollection(token)) {
      if (depth >= max) return token.offset;
      for (const item of token.items) stack.push([item.key, depth + 1], [item.value, depth + 1]);
    }
  }
  return null;
}

/** A list or mapping being walked: its children, the next one, the deepest child so far. */
interface Frame {
  readonly node: object;
  readonly children: readonly unknown[];
  next: number;
  deepest: number;
}

const childrenOf = (node: { items: readonly unknown[] }): unknown[] =>
  node.items.flatMap((item) => (isPair(item) ? [item.key, item.value] : [item]));

/**
 * Walks a composed document without recursion, as the library resolves aliases (each names the
 * last anchor before it), and refuses an alias that names nothing, one inside the node it names,
 * and nesting deeper than `max` once aliases are expanded.
 */
function checkAliasesAndDepth(contents: unknown, text: string, max: number): string | null {
  const depths = new Map<unknown, number>();
  const anchors = new Map<string, unknown>();
  const frames: Frame[] = [];
  const at = (node: unknown): string =>
    place(text, (isNode(node) ? node.range?.[0] : undefined) ?? 0);
  // The depth of a scalar or alias; a list or mapping opens a frame (undefined) or is too deep.
  const enter = (node: unknown): number | string | undefined => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      const depth = depths.get(target);
      if (target === undefined)
        return `${at(node)}: alias *${node.source} has no anchor &${node.source} before it`;
      if (depth === undefined)
        return `${at(node)}: alias *${node.source} is inside the node &${node.source} it names (a loop)`;
      if (frames.length + depth > max)
        return `${at(node)}: nested more than ${max} levels deep once alias *${node.source} is expanded (the limit of nesting)`;
      return depth;
    }
    if (isNode(node) && node.anchor) anchors.set(node.anchor, node);
    if (!isCollection(node)) {
      depths.set(node, 0);
      return 0;
    }
    if (frames.length >= max)
      return `${at(node)}: nested more than ${max} levels deep (the limit of nesting)`;
    frames.push({ node, children: childrenOf(node), next: 0, deepest: 0 });
    return undefined;
  };
  const first = enter(contents);
  if (typeof first === 'string') return first;
  for (let top = frames.at(-1); top; top = frames.at(-1)) {
    if (top.next < top.children.length) {
      const depth = enter(top.children[top.next++]);
      if (typeof depth === 'string') return depth;
      if (depth !== undefined) top.deepest = Math.max(top.deepest, depth);
    } else {
      frames.pop();
      depths.set(top.node, top.deepest + 1);
      const parent = frames.at(-1);
      if (parent) parent.deepest = Math.max(parent.deepest, top.deepest + 1);
    }
  }
  return null;
}

/**
 * Parses scenario text into plain data. Throws {@link ValidationError}: on a syntax error, on
 * nesting deeper than {@link YAML_LIMITS}`.maxDepth`, on an alias with no anchor or inside what it
 * names, and on alias expansion past `maxAliasCount`. `source` names the file in messages.
 */
export function readYaml(text: string, source: string): unknown {
  try {
    return readWithinLimits(text, source);
  } catch (e) {
    // The checks above keep the library's recursion shallow; should one still overflow the stack,
    // the file is refused all the same.
    if (!(e instanceof RangeError && /call stack/i.test(e.message))) throw e;
    throw new ValidationError([
      `${source}: nested too deeply to read (${e.message}; the limit of nesting is ${YAML_LIMITS.maxDepth} levels)`,
    ]);
  }
}

/** {@link readYaml}: the depth bounds, the parse, the alias checks, then the conversion. */
function readWithinLimits(text: string, source: string): unknown {
  const { maxDepth, maxAliasCount } = YAML_LIMITS;
  const deep = tooDeepInLexemes(text, maxDepth) ?? tooDeepInTokens(text, maxDepth);
  if (deep !== null)
    throw new ValidationError([
      `${source}: ${place(text, deep)}: nested more than ${maxDepth} levels deep (the limit of nesting)`,
    ]);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ValidationError(doc.errors.map((e) => `${source}: ${e.message.split('\n')[0]}`));
  }
  const problem = checkAliasesAndDepth(doc.contents, text, maxDepth);
  if (problem !== null) throw new ValidationError([`${source}: ${problem}`]);
  try {
    return doc.toJS({ maxAliasCount });
  } catch (e) {
    if (!(e instanceof ReferenceError && /alias count/i.test(e.message))) throw e;
    throw new ValidationError([
      `${source}: aliases expand too much: more than ${maxAliasCount} alias uses, each counted with the aliases inside what it names (the limit against alias bombs)`,
    ]);
  }
}
