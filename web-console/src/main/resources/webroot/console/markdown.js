// Safe Markdown for text a model wrote (a run's answer): a small subset, built as DOM nodes with
// el() and text nodes. No HTML ever passes through: a "<script>" or "<img onerror>" in the text is
// shown as those characters. Links keep http and https only (anything else stays text) and open
// with rel="noopener noreferrer". Half-written text (an answer still streaming) renders as far as
// it goes: an unclosed code fence is a code block up to the end.
//
// Blocks: paragraphs, headings (# to ######, shown two levels down so that they sit under the
// page's own h1 and h2), fenced code blocks (```), bulleted and numbered lists (one level),
// block quotes. Inline: `code`, **strong** / __strong__, *emphasis* / _emphasis_, [links](https://...).
import { el } from './dom.js';

const FENCE = /^\s*(```|~~~)\s*([\w+-]*)\s*$/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^\s{0,3}(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
// One inline token: code, link, strong, emphasis. Emphasis with _ only at word edges (snake_case stays text).
const INLINE = /`([^`\n]+)`|\[([^\]\n]+)\]\(\s*([^()\s]+)\s*\)|\*\*(?=\S)([^*\n]*?\S)\*\*|__(?=\S)([^_\n]*?\S)__|\*(?=\S)([^*\n]*?\S)\*|(?<![\w])_(?=\S)([^_\n]*?\S)_(?![\w])/;

/** The nodes of a line's inline Markdown, appended to {@code out} (returned). */
function inline(text, out) {
  let rest = text;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) { out.push(document.createTextNode(rest)); break; }
    if (m.index) out.push(document.createTextNode(rest.slice(0, m.index)));
    if (m[1] !== undefined) out.push(el('code', { text: m[1] }));
    else if (m[2] !== undefined) out.push(link(m[2], m[3], m[0]));
    else if (m[4] !== undefined || m[5] !== undefined) out.push(el('strong', {}, inline(m[4] !== undefined ? m[4] : m[5], [])));
    else out.push(el('em', {}, inline(m[6] !== undefined ? m[6] : m[7], [])));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

/** A link to an http(s) address, else the Markdown as it was written, as text. */
function link(label, href, written) {
  let url = null;
  try { url = new URL(href); } catch (e) { url = null; }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return document.createTextNode(written);
  return el('a', { href: url.href, rel: 'noopener noreferrer', target: '_blank' }, inline(label, []));
}

/**
 * The Markdown {@code text} as a {@code div.markdown} of DOM nodes. Anything that is not one of
 * the constructs above is text.
 */
export function markdown(text) {
  const root = el('div', { class: 'markdown' });
  const lines = String(text == null ? '' : text).replace(/\r\n?/g, '\n').split('\n');
  let paragraph = [];
  let list = null; // { node, numbered, last }
  let quote = null;

  const endParagraph = () => {
    if (!paragraph.length) return;
    const target = quote || root;
    target.append(el('p', {}, inline(paragraph.join(' '), [])));
    paragraph = [];
  };
  const endList = () => { list = null; };
  const endQuote = () => { endParagraph(); quote = null; };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      endQuote(); endList();
      const body = [];
      for (i++; i < lines.length && !(new RegExp('^\\s*' + (fence[1] === '```' ? '```' : '~~~') + '\\s*$').test(lines[i])); i++) body.push(lines[i]);
      root.append(el('pre', { class: 'code' }, el('code', { 'data-lang': fence[2] || null, text: body.join('\n') })));
      continue;
    }
    if (!line.trim()) { endParagraph(); endList(); endQuote(); continue; }
    const q = QUOTE.exec(line);
    if (q) {
      endList();
      if (!quote) { endParagraph(); quote = el('blockquote'); root.append(quote); }
      if (q[1].trim()) paragraph.push(q[1].trim()); else endParagraph();
      continue;
    }
    if (quote) endQuote();
    const heading = HEADING.exec(line);
    if (heading) {
      endParagraph(); endList();
      root.append(el('h' + Math.min(6, heading[1].length + 2), {}, inline(heading[2], [])));
      continue;
    }
    if (RULE.test(line) && !paragraph.length) { endList(); root.append(el('hr')); continue; }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      endParagraph();
      const isNumbered = !!numbered;
      if (!list || list.numbered !== isNumbered) {
        const attrs = isNumbered && numbered[1] !== '1' ? { start: String(parseInt(numbered[1], 10)) } : {};
        list = { node: el(isNumbered ? 'ol' : 'ul', attrs), numbered: isNumbered };
        root.append(list.node);
      }
      list.last = el('li', {}, inline(isNumbered ? numbered[2] : bullet[1], []));
      list.node.append(list.last);
      continue;
    }
    if (list && /^\s+\S/.test(line)) { // a list item's continuation line
      list.last.append(document.createTextNode(' '), ...inline(line.trim(), []));
      continue;
    }
    endList();
    paragraph.push(line.trim());
  }
  endQuote();
  endParagraph();
  return root;
}
