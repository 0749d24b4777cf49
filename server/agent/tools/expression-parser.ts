/**
 * Evaluates arithmetic expressions for the calculator tool.
 *
 * Hand-written instead of a math library on purpose. The grammar is tiny (a few dozen lines of
 * recursive descent); there is no eval or Function anywhere, so model-written text can never run
 * as code; and we own every limit (length, nesting depth, which names exist) and every error
 * message the model reads. A general math library brings assignment, units, matrices and
 * user-defined functions that we would have to switch off and then trust to stay off.
 *
 * Grammar, loosest binding first:
 *
 *   expression := term (("+" | "-") term)*
 *   term       := unary (("*" | "/" | "%") unary)*
 *   unary      := ("+" | "-") unary | power
 *   power      := primary ("^" unary)?         right-associative; -2^2 is -(2^2)
 *   primary    := number | constant | name "(" expression ("," expression)* ")" | "(" expression ")"
 *
 * "**" is accepted for "^", and "×", "÷" and "−" for "*", "/" and "-", as models copy them from text.
 */
import { ExpressionError } from "./expression-error.js";
import { expressionConstants, expressionFunctions } from "./expression-functions.js";

/**
 * Options for {@link evaluateExpression}.
 */
export interface ExpressionOptions {
  /**
   * Longest expression accepted, in characters.
   * @defaultValue 200
   */
  readonly maxLength?: number;
  /**
   * Deepest nesting accepted: parentheses, function calls, signs and powers each add a level.
   * Bounds the recursion, so "((((…" is an error rather than a stack overflow.
   * @defaultValue 32
   */
  readonly maxDepth?: number;
}

/** Default of {@link ExpressionOptions.maxLength}. */
export const defaultMaxExpressionLength = 200;

const defaultMaxDepth = 32;

type Token =
  | { readonly kind: "number"; readonly value: number; readonly text: string; readonly position: number }
  | { readonly kind: "name"; readonly text: string; readonly position: number }
  | { readonly kind: "symbol"; readonly text: string; readonly position: number }
  | { readonly kind: "end"; readonly text: ""; readonly position: number };

/**
 * Evaluates `source` and returns its value, a finite number. Throws an {@link ExpressionError}
 * with the position of the problem when it cannot.
 */
export function evaluateExpression(source: string, options: ExpressionOptions = {}): number {
  const maxLength = options.maxLength ?? defaultMaxExpressionLength;
  const maxDepth = options.maxDepth ?? defaultMaxDepth;
  if (source.length > maxLength) {
    throw new ExpressionError(
      `the expression is ${source.length} characters long; the limit is ${maxLength}`,
      maxLength + 1,
    );
  }
  const tokens = tokenize(source);
  let index = 0;

  const peek = (): Token => tokens[index] ?? endOf(source);
  const next = (): Token => tokens[index++] ?? endOf(source);

  function parseExpression(depth: number): number {
    let value = parseTerm(depth);
    for (let token = peek(); token.text === "+" || token.text === "-"; token = peek()) {
      next();
      const right = parseTerm(depth);
      value = finite(token.text === "+" ? value + right : value - right, `the result of '${token.text}'`, token.position);
    }
    return value;
  }

  function parseTerm(depth: number): number {
    let value = parseUnary(depth);
    for (let token = peek(); token.text === "*" || token.text === "/" || token.text === "%"; token = peek()) {
      next();
      const right = parseUnary(depth);
      if (token.text !== "*" && right === 0) {
        throw new ExpressionError(`division by zero at position ${token.position}`, token.position);
      }
      const result = token.text === "*" ? value * right : token.text === "/" ? value / right : value % right;
      value = finite(result, `the result of '${token.text}'`, token.position);
    }
    return value;
  }

  function parseUnary(depth: number): number {
    const token = peek();
    if (depth > maxDepth) {
      throw new ExpressionError(
        `the expression is nested too deeply at position ${token.position}; the limit is ${maxDepth} levels`,
        token.position,
      );
    }
    if (token.text === "-" || token.text === "+") {
      next();
      const operand = parseUnary(depth + 1);
      return token.text === "-" ? -operand : operand;
    }
    return parsePower(depth);
  }

  function parsePower(depth: number): number {
    const base = parsePrimary(depth);
    const token = peek();
    if (token.text !== "^") {
      return base;
    }
    next();
    // The exponent is a unary, so 2^-1 works and 2^3^2 groups as 2^(3^2).
    const exponent = parseUnary(depth + 1);
    return finite(base ** exponent, "the result of '^'", token.position);
  }

  function parsePrimary(depth: number): number {
    const token = next();
    if (token.kind === "number") {
      return finite(token.value, `the number ${token.text}`, token.position);
    }
    if (token.kind === "name") {
      return peek().text === "(" ? parseCall(token, depth) : constant(token);
    }
    if (token.text === "(") {
      const value = parseExpression(depth + 1);
      expectClosing(token);
      return value;
    }
    throw unexpected(token, "a number, a name or '('");
  }

  function parseCall(name: Token, depth: number): number {
    const lowerName = name.text.toLowerCase();
    const fn = expressionFunctions.get(lowerName);
    if (fn === undefined) {
      throw new ExpressionError(
        `unknown function '${name.text}' at position ${name.position}; known functions: ${[...expressionFunctions.keys()].join(", ")}`,
        name.position,
      );
    }
    const open = next();
    const args = [parseExpression(depth + 1)];
    while (peek().text === ",") {
      next();
      args.push(parseExpression(depth + 1));
    }
    expectClosing(open);
    if (args.length < fn.minArgs || args.length > fn.maxArgs) {
      throw new ExpressionError(
        `${lowerName} at position ${name.position} takes ${describeArity(fn.minArgs, fn.maxArgs)}, got ${args.length}`,
        name.position,
      );
    }
    const problem = fn.check?.(args);
    if (problem !== undefined) {
      throw new ExpressionError(`${lowerName} at position ${name.position}: ${problem}`, name.position);
    }
    return finite(fn.apply(args), `the result of ${lowerName}`, name.position);
  }

  function constant(name: Token): number {
    const value = expressionConstants.get(name.text.toLowerCase());
    if (value !== undefined) {
      return value;
    }
    const hint = expressionFunctions.has(name.text.toLowerCase())
      ? `it is a function; call it like ${name.text}(2)`
      : `known constants: ${[...expressionConstants.keys()].join(", ")}`;
    throw new ExpressionError(`unknown name '${name.text}' at position ${name.position}; ${hint}`, name.position);
  }

  function expectClosing(open: Token): void {
    const token = next();
    if (token.text !== ")") {
      throw unexpected(token, `')' to close the '(' at position ${open.position}`);
    }
  }

  const value = parseExpression(0);
  const rest = next();
  if (rest.kind !== "end") {
    throw unexpected(rest, "an operator");
  }
  return value;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  // Sticky patterns match exactly at lastIndex, so the source is scanned once without slicing.
  const numberPattern = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
  const namePattern = /[A-Za-z_][A-Za-z0-9_]*/y;
  let offset = 0;
  while (offset < source.length) {
    const char = source.charAt(offset);
    const position = offset + 1;
    if (/\s/.test(char)) {
      offset += 1;
      continue;
    }
    numberPattern.lastIndex = offset;
    const number = numberPattern.exec(source);
    if (number !== null) {
      tokens.push({ kind: "number", value: Number(number[0]), text: number[0], position });
      offset += number[0].length;
      continue;
    }
    namePattern.lastIndex = offset;
    const name = namePattern.exec(source);
    if (name !== null) {
      tokens.push({ kind: "name", text: name[0], position });
      offset += name[0].length;
      continue;
    }
    if (source.startsWith("**", offset)) {
      tokens.push({ kind: "symbol", text: "^", position });
      offset += 2;
      continue;
    }
    const symbol = symbolAliases.get(char) ?? char;
    if (!"+-*/%^(),".includes(symbol)) {
      throw new ExpressionError(`unexpected character '${char}' at position ${position}`, position);
    }
    tokens.push({ kind: "symbol", text: symbol, position });
    offset += 1;
  }
  return tokens;
}

const symbolAliases: ReadonlyMap<string, string> = new Map([
  ["×", "*"],
  ["÷", "/"],
  ["−", "-"],
]);

function endOf(source: string): Token {
  return { kind: "end", text: "", position: source.length + 1 };
}

function unexpected(token: Token, expected: string): ExpressionError {
  const found = token.kind === "end" ? "end of expression" : `'${token.text}'`;
  return new ExpressionError(`unexpected ${found} at position ${token.position}; expected ${expected}`, token.position);
}

/** Returns `value` when it is finite; otherwise throws, naming `subject` ("the result of '^'"). */
function finite(value: number, subject: string, position: number): number {
  if (Number.isNaN(value)) {
    throw new ExpressionError(`${subject} at position ${position} is not a real number`, position);
  }
  if (!Number.isFinite(value)) {
    throw new ExpressionError(`${subject} at position ${position} is too large`, position);
  }
  return value;
}

function describeArity(min: number, max: number): string {
  if (max === Infinity) {
    return `at least ${min} argument${min === 1 ? "" : "s"}`;
  }
  if (min === max) {
    return `${min} argument${min === 1 ? "" : "s"}`;
  }
  return `${min} to ${max} arguments`;
}
