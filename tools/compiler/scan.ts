// A scanner for just enough of Cedar's lexical grammar to find integer literals and comments:
// strings, `//` comments, identifiers and numbers, as Cedar's lexer splits them
// (cedar-policy-core/src/parser/grammar.lalrpop). Everything else is one character at a time.

/** An integer literal token: where it is in the text and its digits' value (never signed: Cedar folds `-` later). */
export interface IntegerToken {
  start: number;
  end: number;
  value: bigint;
}

/** What `scanCedar` finds in policy text. */
export interface CedarScan {
  integers: IntegerToken[];
  /** `[start, end)` of each `//` comment. */
  comments: [number, number][];
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdentPart = (c: number): boolean => isIdentStart(c) || isDigit(c);

/** Finds the integer literals and comments of Cedar text, outside string literals. */
export function scanCedar(text: string): CedarScan {
  const integers: IntegerToken[] = [];
  const comments: [number, number][] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 /* \ */ ? 2 : 1;
      i++;
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      // Cedar's comment token is `//[^\n\r]*`: a carriage return ends it too
      const start = i;
      while (i < text.length && text[i] !== "\n" && text[i] !== "\r") i++;
      comments.push([start, i]);
    } else if (isIdentStart(c)) {
      while (i < text.length && isIdentPart(text.charCodeAt(i))) i++;
    } else if (isDigit(c)) {
      const start = i;
      while (i < text.length && isDigit(text.charCodeAt(i))) i++;
      integers.push({ start, end: i, value: BigInt(text.slice(start, i)) });
    } else {
      i++;
    }
  }
  return { integers, comments };
}
