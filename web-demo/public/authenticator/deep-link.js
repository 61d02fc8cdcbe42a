// Deep links into the PWA: /authenticator/#tapgate:<base64url>, /authenticator/?link=<link>, and
// the web+tapgate: scheme the manifest registers (the browser hands it over as ?link=web+tapgate:…).
export function takeDeepLink(location, history) {
  const url = new URL(location.href);
  let link = url.searchParams.get('link');
  if (!link && url.hash.length > 1) link = decodeURIComponent(url.hash.slice(1));
  if (!link) return null;
  // Drop the link from the address bar so a reload does not start the same session again.
  url.searchParams.delete('link');
  url.hash = '';
  history.replaceState(null, '', url.pathname + url.search);
  return link.trim().replace(/^web\+tapgate:/i, 'tapgate:');
}
