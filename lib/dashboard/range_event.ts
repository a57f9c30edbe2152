/**
 * The window event by which the dashboard's islands tell each other the range of days
 * changed. Browser-safe.
 *
 * @module
 */

/** The window event the dashboard sends when its range of days changes (`detail`: DayRange). */
export const RANGE_EVENT = "dashboard-range";
