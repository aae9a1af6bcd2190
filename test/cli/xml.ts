/**
 * A small XML well-formedness check for the JUnit output (no XML library is installed):
 * balanced tags, quoted attributes, known entities, no raw `<` or `&` in text, and no
 * characters XML 1.0 forbids. Enough to catch escaping mistakes, which is the risk.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: forbidden XML characters are the point.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const ENTITY = /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
const TAG = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>/y;

export function XMLValidator(xml: string): true | string {
  if (FORBIDDEN.test(xml)) return 'forbidden control character';
  let i = 0;
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  const stack: string[] = [];
  let roots = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (ENTITY.test(text)) return `bad entity in text near ${i}`;
    if (text.includes('>') && stack.length === 0 && text.trim()) return `text outside root near ${i}`;
    if (lt < 0) break;
    TAG.lastIndex = lt;
    const m = TAG.exec(xml);
    if (!m) return `malformed tag at ${lt}: ${xml.slice(lt, lt + 40)}`;
    const [all, close, name, attrs, selfClose] = m;
    if (attrs && ENTITY.test(attrs)) return `bad entity in attributes of <${name}>`;
    if (close) {
      if (stack.pop() !== name) return `unbalanced </${name}>`;
    } else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
    i = lt + all.length;
  }
  if (stack.length) return `unclosed <${stack.at(-1)}>`;
  return roots === 1 ? true : `expected one root element, found ${roots}`;
}
