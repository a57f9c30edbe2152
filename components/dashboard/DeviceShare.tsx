/**
 * Desktop vs mobile share of impressions, clicks and orders in the selected range.
 *
 * @module
 */
import { SITE_VERSIONS, TITLES } from "../../lib/core/event.ts";
import type { DeviceCounts } from "../../lib/dashboard/model.ts";
import { DEVICE_COLORS } from "./colors.ts";
import { formatCount, formatPercent } from "./format.ts";
import { DEVICE_LABELS, TITLE_LABELS } from "../../lib/core/labels.ts";

/** Stacked 100% bars per event type. */
export function DeviceShare(props: { devices: DeviceCounts }) {
  return (
    <div class="share" data-testid="device-share">
      <div class="legend">
        {SITE_VERSIONS.map((device) => (
          <span class="cat" key={device}>
            <span class="dot" style={{ background: DEVICE_COLORS[device] }} />
            {DEVICE_LABELS[device]}
          </span>
        ))}
      </div>
      {TITLES.map((title) => {
        const total = SITE_VERSIONS.reduce((sum, d) => sum + props.devices[d][title], 0);
        return (
          <div class="share-row" key={title}>
            <div class="share-label">{TITLE_LABELS[title]}</div>
            <div class="share-bar">
              {SITE_VERSIONS.map((device) => {
                const value = props.devices[device][title];
                const share = total > 0 ? value / total : 0;
                return (
                  <div
                    key={device}
                    class={`share-part ${device}`}
                    style={{ width: `${share * 100}%`, background: DEVICE_COLORS[device] }}
                    title={`${DEVICE_LABELS[device]} · ${TITLE_LABELS[title]}: ${
                      formatCount(value)
                    } (${formatPercent(share)})`}
                  >
                    {share >= 0.12 ? formatPercent(share) : ""}
                  </div>
                );
              })}
              {total === 0 ? <div class="share-empty">no events</div> : null}
            </div>
          </div>
        );
      })}
    </div>
  );
}
