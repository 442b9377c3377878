// A small evaluator of VS Code when clauses, enough for the manifest's menus: `!`, `&&`, `||`,
// parentheses, `==`, `!=`, `=~ /regex/`, `in`, `not in` and bare context keys. It lets unit tests
// check which menu entries a given context shows (VS Code's own evaluator is not a package).

export type Context = Readonly<Record<string, unknown>>;

type Token = { kind: 'op'; value: string } | { kind: 'word'; value: string } | { kind: 'regex'; value: RegExp };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const op = /^(&&|\|\||==|!=|=~|!|\(|\))/.exec(rest);
    if (op) {
      tokens.push({ kind: 'op', value: op[1] });
      i += op[1].length;
      if (op[1] === '=~') {
        const regex = /^\s*\/((?:\\.|[^/\\])+)\/([a-z]*)/.exec(text.slice(i));
        if (!regex) throw new Error(`no regex after =~ in ${text}`);
        tokens.push({ kind: 'regex', value: new RegExp(regex[1], regex[2]) });
        i += regex[0].length;
      }
      continue;
    }
    const word = /^('[^']*'|[^\s()!=&|]+)/.exec(rest);
    if (!word) throw new Error(`cannot read ${rest}`);
    tokens.push({ kind: 'word', value: word[1].replace(/^'|'$/g, '') });
    i += word[1].length;
  }
  return tokens;
}

/** Whether `when` holds in `context` (a missing clause holds). */
export function evaluateWhen(when: string | undefined, context: Context): boolean {
  if (!when) return true;
  const tokens = tokenize(when);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (value: string): boolean => peek()?.kind === 'op' && peek()?.value === value;
  const value = (word: string): unknown => {
    if (word === 'true') return true;
    if (word === 'false') return false;
    return word in context ? context[word] : undefined;
  };
  const literal = (word: string): unknown =>
    /^-?\d+$/.test(word) ? Number(word) : word === 'true' ? true : word === 'false' ? false : word;
  const primary = (): boolean => {
    if (isOp('!')) {
      pos++;
      return !primary();
    }
    if (isOp('(')) {
      pos++;
      const result = or();
      if (!isOp(')')) throw new Error(`missing ) in ${when}`);
      pos++;
      return result;
    }
    const token = tokens[pos++];
    if (token?.kind !== 'word') throw new Error(`expected a key in ${when}`);
    const left = value(token.value);
    if (isOp('==') || isOp('!=')) {
      const negate = peek()?.value === '!=';
      pos++;
      const right = tokens[pos++];
      // VS Code compares loosely: '0' equals 0.
      const equal = String(left) === String(literal(right.kind === 'word' ? right.value : ''));
      return negate ? !equal : equal;
    }
    if (isOp('=~')) {
      pos++;
      const regex = tokens[pos++];
      return regex.kind === 'regex' && typeof left === 'string' && regex.value.test(left);
    }
    const next = peek();
    if (next?.kind === 'word' && (next.value === 'in' || next.value === 'not')) {
      const not = next.value === 'not';
      pos += not ? 2 : 1;
      const list = value((tokens[pos++] as { value: string }).value);
      const found = Array.isArray(list) ? list.includes(left) : typeof list === 'object' && list !== null && String(left) in list;
      return not ? !found : found;
    }
    return Boolean(left);
  };
  const and = (): boolean => {
    let result = primary();
    while (isOp('&&')) {
      pos++;
      const right = primary();
      result = result && right;
    }
    return result;
  };
  const or = (): boolean => {
    let result = and();
    while (isOp('||')) {
      pos++;
      const right = and();
      result = result || right;
    }
    return result;
  };
  const result = or();
  if (pos !== tokens.length) throw new Error(`unread tokens in ${when}`);
  return result;
}
