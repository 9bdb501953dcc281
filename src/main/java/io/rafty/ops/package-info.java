/**
 * Operations: the node's metrics ({@link io.rafty.ops.Metrics}, served as {@code GET /metrics}) and the live
 * dashboard's files ({@link io.rafty.ops.Dashboard}, {@code GET /}; the page polls the members' API itself).
 *
 * <p>This package depends on {@code node} and {@code transport} (it implements their recording
 * interfaces and reads {@code NodeStatus}); nothing below it depends on this package, so the driver and
 * the simulator never see Micrometer.
 */
package io.rafty.ops;
