/**
 * The ad on the shop's front page. Server-rendered as a plain link (so it works
 * without JavaScript); once hydrated, it reports its impression as seen when at least
 * half of it has been visible for one second while the tab is visible (the usual
 * viewability rule), with one beacon to `POST /api/collect`.
 *
 * @module
 */
import { useEffect, useRef } from "preact/hooks";

/** Props of {@linkcode AdBanner}: all JSON, as islands require. */
export interface AdBannerProps {
  /** The signed impression id the server issued with this page. */
  impression: string;
  /** Where the ad leads: `/product/<category>?i=<impression>`. */
  href: string;
  image: string;
  name: string;
  item: string;
  pitch: string;
}

/** Share of the banner that must be visible… */
const VISIBLE_RATIO = 0.5;
/** …for this long, to count as seen. */
const VISIBLE_MS = 1000;

/** The ad banner island (see the module documentation). */
export default function AdBanner(props: AdBannerProps) {
  const ref = useRef<HTMLAnchorElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof IntersectionObserver === "undefined") return;
    return watchViewability(element, () => reportShow(props.impression));
  }, [props.impression]);
  return (
    <a ref={ref} class="ad" href={props.href} data-testid="ad-banner">
      <img class="ad-image" src={props.image} alt={props.item} width="480" height="270" />
      <span class="ad-text">
        <span class="ad-label">Sponsored · {props.name}</span>
        <strong class="ad-item">{props.item}</strong>
        <span class="ad-pitch">{props.pitch}</span>
        <span class="ad-cta">Shop now →</span>
      </span>
    </a>
  );
}

/**
 * Calls `onSeen` once, when at least half of `element` has been on screen for one
 * uninterrupted second with the page visible. Returns a function that stops watching.
 */
function watchViewability(element: Element, onSeen: () => void): () => void {
  let ratio = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  const update = () => {
    const visible = ratio >= VISIBLE_RATIO && document.visibilityState === "visible";
    if (visible && timer === undefined && !done) {
      timer = setTimeout(() => {
        done = true;
        stop();
        onSeen();
      }, VISIBLE_MS);
    } else if (!visible && timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
  };
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) ratio = entry.isIntersecting ? entry.intersectionRatio : 0;
    update();
  }, { threshold: [0, 0.25, VISIBLE_RATIO, 0.75, 1] });
  observer.observe(element);
  document.addEventListener("visibilitychange", update);
  function stop() {
    observer.disconnect();
    document.removeEventListener("visibilitychange", update);
    if (timer !== undefined) clearTimeout(timer);
  }
  return stop;
}

function reportShow(impression: string): void {
  const body = JSON.stringify({ impression });
  // keepalive: the report survives the visitor clicking away right after.
  fetch("/api/collect", {
    method: "POST",
    keepalive: true,
    headers: { "content-type": "application/json" },
    body,
  }).catch(() => {});
}
