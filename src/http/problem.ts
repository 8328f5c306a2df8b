/**
 * RFC 9457 problem+json bodies: the one error shape of the API.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  issues?: { path: string; message: string }[];
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function problem(
  c: Context,
  status: ContentfulStatusCode,
  detail?: string,
  extra: Partial<Problem> = {},
): Response {
  const body: Problem = {
    type: extra.type ?? "about:blank",
    title: extra.title ?? TITLES[status] ?? "Error",
    status,
    ...(detail ? { detail } : {}),
    ...extra,
  };
  return c.body(JSON.stringify(body), status, { "Content-Type": "application/problem+json" });
}
