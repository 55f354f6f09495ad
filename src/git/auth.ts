// Credentials: from the target's `auth` (Secret `username`/`password` or `token`) or from userinfo
// in the URL. They travel only in an `Authorization: Basic` header, sent up front; URLs we log or
// put in errors have no userinfo, and `scrub` removes the secret and its encodings from any text.

export type GitAuth = { username: string; password: string } | { token: string };

/** Username sent with a bare token (GitHub, Gitea and GitLab accept any non-empty username with a token). */
export const TOKEN_USERNAME = 'x-access-token';

export interface Credentials {
  /** The URL without userinfo: safe to log. */
  url: string;
  /** Headers to send with every request (`Authorization` when there are credentials). */
  headers: Record<string, string>;
  /** Remove the URL's userinfo and every form of the secret from a text. */
  scrub(text: string): string;
}

export function credentials(rawUrl: string, auth?: GitAuth): Credentials {
  let url = rawUrl;
  let user: string | undefined;
  let pass: string | undefined;
  try {
    const u = new URL(rawUrl);
    if (u.username || u.password) {
      user = decodeURIComponent(u.username);
      pass = decodeURIComponent(u.password);
      u.username = '';
      u.password = '';
      url = u.toString();
    }
  } catch {
    // Not a URL we can parse: keep it, the request will fail with a clear message.
  }
  if (auth && 'token' in auth) {
    user = TOKEN_USERNAME;
    pass = auth.token;
  } else if (auth) {
    user = auth.username;
    pass = auth.password;
  }
  url = url.replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  const secrets: string[] = [];
  if (user !== undefined && pass !== undefined) {
    const basic = Buffer.from(`${user}:${pass}`).toString('base64');
    headers.Authorization = `Basic ${basic}`;
    secrets.push(basic);
    if (pass) secrets.push(pass, encodeURIComponent(pass));
  }
  const scrub = (text: string): string => {
    let out = redactUrls(text);
    for (const s of secrets) if (s.length >= 3) out = out.split(s).join('[REDACTED]');
    return out;
  };
  return { url, headers, scrub };
}

/** Remove userinfo from every URL in a text: `https://user:pw@host/x` → `https://host/x`. */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');
}
