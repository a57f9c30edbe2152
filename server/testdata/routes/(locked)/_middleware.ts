import type { Middleware } from "../../../mod.ts";

/** Every route in the (locked) group needs the header `x-key: open-sesame`. */
export const handler: Middleware = async function requireKey(ctx) {
  if (ctx.req.headers.get("x-key") !== "open-sesame") {
    return new Response(`Locked: ${ctx.route} needs x-key`, { status: 401 });
  }
  const response = await ctx.next();
  response.headers.append("x-chain", "locked");
  return response;
};
