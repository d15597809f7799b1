/**
 * Text made safe to inline in an HTML page: data in `<script type="application/json">`, code in
 * `<script>`, styles in `<style>`. None of them can close its element early.
 */

/**
 * JSON that is safe inside `<script type="application/json">`: every `<` is escaped (so no
 * `</script>` or `<!--` can appear), and so are U+2028 and U+2029.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Script text that cannot close its `<script>` element early. */
export const inlineScript = (js: string): string => js.replace(/<\/(script)/gi, '<\\/$1');

/** Stylesheet text that cannot close its `<style>` element early (`\/` is `/` in CSS). */
export const inlineStyle = (css: string): string => css.replace(/<\/(style)/gi, '<\\/$1');
