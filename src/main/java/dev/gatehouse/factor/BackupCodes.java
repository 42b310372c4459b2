package dev.gatehouse.factor;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;

import java.util.List;
import java.util.UUID;

/** The recovery codes as the other factors see them: handed out when the first factor turns 2FA on. */
public interface BackupCodes {

  /** A new set replacing any old one, in the caller's transaction; answers the codes as shown to the person. */
  Future<List<String>> issue(SqlClient tx, UUID user);
}
