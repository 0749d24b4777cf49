/**
 * Finds arithmetic in free text so the simulated model can hand it to a calculator tool.
 * It only recognises expressions; it never evaluates them, because the answer must come from
 * the tool result.
 */

// Runs of characters that can make up an expression: digits, operators, parentheses, spaces.
const candidateRuns = /[\d.+\-*/^%()\s]+/g;
const numberPattern = /^\d+(?:\.\d+)?|^\.\d+/;
const binaryOperators = new Set(["+", "-", "*", "/", "^", "%"]);

// Words, including identifiers with digits or dashes such as SKU-1001 or x2. They are replaced by
// a character that cannot appear in an expression, so that "5 apples and -3" is not "5 -3".
const words = /[A-Za-z_][\w-]*/g;

/**
 * Returns the longest arithmetic expression in `text` with at least one binary operator, with
 * whitespace collapsed, e.g. `"What is 17 * 23?"` → `"17 * 23"`; `undefined` when there is none.
 * ISO-like dates (`2024-01-05`) and identifiers such as `SKU-1001` are not expressions.
 */
export function findArithmeticExpression(text: string): string | undefined {
  let best: string | undefined;
  for (const [run] of text.replace(words, "|").matchAll(candidateRuns)) {
    const expression = trimToExpression(run);
    if (expression !== undefined && (best === undefined || expression.length > best.length)) {
      best = expression;
    }
  }
  return best;
}

function trimToExpression(run: string): string | undefined {
  const collapsed = balanceParentheses(
    run
      .replace(/\s+/g, " ")
      .trim()
      // Leading and trailing characters that cannot start or end an expression ("?", "-", "+").
      .replace(/^[^\d(.-]+/, "")
      .replace(/[^\d).]+$/, "")
      .replace(/\.+$/, ""),
  ).trim();
  if (collapsed === "" || isDateLike(collapsed)) return undefined;
  return isExpression(collapsed) ? collapsed : undefined;
}

function balanceParentheses(text: string): string {
  const unmatched = new Set<number>();
  const open: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === "(") open.push(i);
    else if (text[i] === ")") {
      if (open.length > 0) open.pop();
      else unmatched.add(i);
    }
  }
  for (const i of open) unmatched.add(i);
  if (unmatched.size === 0) return text;
  let result = "";
  for (let i = 0; i < text.length; i += 1) if (!unmatched.has(i)) result += text[i];
  return result;
}

function isDateLike(text: string): boolean {
  return /^\d{4}-\d{1,2}-\d{1,2}$/.test(text) || /^\d{1,2}\/\d{1,2}\/\d{2,4}$/.test(text);
}

/**
 * A recogniser (not an evaluator) for: expr := unary (op unary)*, unary := "-"? primary,
 * primary := number | "(" expr ")". True when the whole text parses and has a binary operator.
 */
function isExpression(text: string): boolean {
  const tokens = tokenize(text);
  if (tokens === undefined) return false;
  let position = 0;
  let operators = 0;

  const parseUnary = (): boolean => {
    if (tokens[position] === "-") position += 1;
    const token = tokens[position];
    if (token === "(") {
      position += 1;
      if (!parseExpression() || tokens[position] !== ")") return false;
      position += 1;
      return true;
    }
    if (token !== undefined && numberPattern.test(token)) {
      position += 1;
      return true;
    }
    return false;
  };
  const parseExpression = (): boolean => {
    if (!parseUnary()) return false;
    while (binaryOperators.has(tokens[position] ?? "")) {
      position += 1;
      operators += 1;
      if (!parseUnary()) return false;
    }
    return true;
  };

  return parseExpression() && position === tokens.length && operators > 0;
}

function tokenize(text: string): string[] | undefined {
  const tokens: string[] = [];
  let rest = text.trimStart();
  while (rest.length > 0) {
    const number = numberPattern.exec(rest);
    if (number) {
      tokens.push(number[0]);
      rest = rest.slice(number[0].length);
    } else if ("+-*/^%()".includes(rest[0] ?? "")) {
      tokens.push(rest[0] ?? "");
      rest = rest.slice(1);
    } else {
      return undefined;
    }
    rest = rest.trimStart();
  }
  return tokens;
}
