import type { AppState } from "../lib/web/app_state.ts";
import { clientOf } from "../lib/web/client_address.ts";
import { sessionCookie, signIn } from "../lib/web/auth.ts";
import { readBody } from "../lib/web/read_body.ts";
import { sameOriginPath } from "../lib/web/redirect_target.ts";
import { type Handlers, HttpError, type PageProps } from "../server/mod.ts";

interface LoginData {
  next: string;
  error?: string;
}

/** The form is a token and a path: 4 KiB is plenty (the app's body limit applies first). */
const LOGIN_MAX_BYTES = 4 * 1024;
const DEFAULT_NEXT = "/dashboard";

/** `next` as a same-site path; a value with control characters is refused (400). */
function readNext(value: string | null, url: URL): string {
  const next = sameOriginPath(value, url, DEFAULT_NEXT);
  if (!next.ok) throw new HttpError(400, next.reason);
  return next.value;
}

function redirect(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, {
    status: 303,
    headers: { location, "cache-control": "no-store", ...headers },
  });
}

/**
 * `GET/POST /login`: the token form. A right token starts a server-side session (its
 * random secret in an HttpOnly, SameSite=Strict cookie, `Secure` over TLS); wrong ones
 * are throttled per address (429 with Retry-After).
 */
export const handler: Handlers<AppState> = {
  GET({ url, state }) {
    const next = readNext(url.searchParams.get("next"), url);
    if (!state.auth.token) return redirect(next);
    return { data: { next } satisfies LoginData, headers: { "cache-control": "no-store" } };
  },
  async POST(ctx) {
    const { req, state, url } = ctx;
    const type = req.headers.get("content-type") ?? "";
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
      throw new HttpError(
        415,
        `Cannot read a sign-in sent as "${type}": send application/x-www-form-urlencoded`,
      );
    }
    const body = await readBody(req, LOGIN_MAX_BYTES);
    if (!body.ok) throw new HttpError(body.status, `Cannot read the sign-in form: ${body.reason}`);
    const form = new URLSearchParams(body.value);
    const next = readNext(form.get("next"), url);
    if (!state.auth.token) return redirect(next);
    const client = clientOf(ctx, state.trust);
    const result = await signIn(state.auth, form.get("token") ?? "", {
      address: client.address,
      userAgent: req.headers.get("user-agent") ?? "",
    });
    if (!result.ok) {
      const headers: Record<string, string> = { "cache-control": "no-store" };
      if (result.status === 429) headers["retry-after"] = String(result.retryAfterSeconds);
      return {
        data: { next, error: result.reason } satisfies LoginData,
        status: result.status,
        headers,
      };
    }
    return redirect(next, {
      "set-cookie": sessionCookie(result.secret, {
        maxAgeSeconds: state.auth.sessions.ttlSeconds,
        secure: client.secure,
      }),
    });
  },
};

/** The login form. */
export default function Login({ data }: PageProps<LoginData>) {
  return (
    <main class="page narrow">
      <h1>Dashboard sign-in</h1>
      <p>The dashboard is protected by a token (the server's DASHBOARD_TOKEN).</p>
      <form method="post" action="/login">
        <input type="hidden" name="next" value={data.next} />
        <p>
          <label>
            Token{" "}
            <input
              type="password"
              name="token"
              autocomplete="current-password"
              required
              autofocus
            />
          </label>{" "}
          <button type="submit">Sign in</button>
        </p>
        {data.error ? <p role="alert" class="error">{data.error}</p> : null}
      </form>
    </main>
  );
}
