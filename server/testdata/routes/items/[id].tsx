import type { Handlers, PageProps } from "../../../mod.ts";
import { HttpError } from "../../../mod.ts";

interface Item {
  id: string;
  method: string;
}

export const handler: Handlers = {
  GET({ params }) {
    if (params.id === "missing") throw new HttpError(404);
    if (params.id === "teapot") throw new HttpError(418, "I am a teapot");
    return { data: { id: params.id, method: "GET" } };
  },
  async POST({ req, params }) {
    const body = await req.text();
    return Response.json({ id: params.id, body }, { status: 201 });
  },
};

export default function ItemPage({ data }: PageProps<Item>) {
  return <p id="item">item {data.id} via {data.method}</p>;
}
