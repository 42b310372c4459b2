package dev.gatehouse.http;

import io.vertx.ext.web.Router;

/** A capability's HTTP routes; each package mounts its own on the router the verticle builds. */
public interface RouteModule {

  void mount(Router router);
}
