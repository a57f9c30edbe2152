/**
 * A dashboard card that redraws only while it is on screen (or close to it): scrolled
 * out of view, it skips the renders the live clock asks for, and draws once with the
 * current numbers as soon as it comes back. The browser skips painting it meanwhile as
 * well (`content-visibility: auto` in dashboard.css).
 *
 * @module
 */
import { Component, type VNode } from "preact";

/** Props of {@linkcode OnScreen}. */
export interface OnScreenProps {
  /** The section's class. */
  class: string;
  /** The section's content, built when it is drawn. */
  children: () => VNode | VNode[];
}

/** Cards count as on screen when any part of them is in the viewport. */
const MARGIN = "0px";

/** A `<section>` that redraws only when on screen. */
export class OnScreen extends Component<OnScreenProps> {
  #element: HTMLElement | null = null;
  #observer: IntersectionObserver | undefined;
  /** Until the observer first reports, assume on screen (server-rendered, then hydrated). */
  #onScreen = true;
  /** A redraw was skipped while off screen. */
  #stale = false;

  override componentDidMount() {
    if (!this.#element || typeof IntersectionObserver === "undefined") return;
    this.#observer = new IntersectionObserver((entries) => {
      this.#onScreen = entries[entries.length - 1].isIntersecting;
      if (this.#onScreen && this.#stale) {
        this.#stale = false;
        this.forceUpdate();
      }
    }, { rootMargin: MARGIN });
    this.#observer.observe(this.#element);
  }

  override componentWillUnmount() {
    this.#observer?.disconnect();
  }

  override shouldComponentUpdate(): boolean {
    if (this.#onScreen) return true;
    this.#stale = true;
    return false;
  }

  render() {
    return (
      <section
        class={this.props.class}
        ref={(element) => {
          this.#element = element;
        }}
      >
        {this.props.children()}
      </section>
    );
  }
}
