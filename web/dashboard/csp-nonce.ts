// xterm.js creates <style> elements at run time; the page's Content-Security-Policy
// allows no inline style but those that carry the nonce the server put into
// <meta name="csp-nonce"> for this response. Stamping it on each <style> when it
// is created (before insertion, which is when the browser checks it) keeps the
// policy strict without changing the library.

/** Makes every `<style>` element created from now on carry the page's nonce. */
export function stampStyleNonces(): void {
  const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content
  if (!nonce || nonce.startsWith('__')) return
  const create = Document.prototype.createElement
  Document.prototype.createElement = function createElement(this: Document, tagName: string, options?: ElementCreationOptions) {
    const element = create.call(this, tagName, options)
    if (tagName.toLowerCase() === 'style') element.setAttribute('nonce', nonce)
    return element
  } as typeof Document.prototype.createElement
}
