import type { DescMethod } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import { connectErrorWithDetail } from "../errors/error-detail.js";
import { hasRole, type Principal, type Role } from "./principal.js";

/**
 * The one place that decides who may call what. Health checks and
 * reflection are open (load balancers and `buf curl` call them without
 * credentials); every other method needs a principal with its role. Which
 * runs a principal sees is decided with it: its own, or every principal's
 * for an admin (see `runOwnerFilter`).
 */
const openServices = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);
const openMethods = new Set(["agent.v1.AgentService/Health"]);

/** Methods that need `admin`; every other authenticated method needs `caller`. */
const adminMethods = new Set<string>([
  "agent.v1.AuditService/VerifyAuditLog",
  "agent.v1.AuditService/ListAuditEvents",
  "agent.v1.PromptService/RegisterPrompt",
  "agent.v1.PromptService/ActivatePromptVersion",
  "agent.v1.PromptService/StartExperiment",
  "agent.v1.PromptService/StopExperiment",
]);

/** True for a method anyone may call, without credentials. */
export function isOpenMethod(method: DescMethod): boolean {
  return openServices.has(method.parent.typeName) || openMethods.has(`${method.parent.typeName}/${method.name}`);
}

/** The role a method needs. */
export function roleFor(method: DescMethod): Role {
  return adminMethods.has(`${method.parent.typeName}/${method.name}`) ? "admin" : "caller";
}

/** PERMISSION_DENIED unless `principal` may call `method`. */
export function authorizeMethod(principal: Principal, method: DescMethod): void {
  const role = roleFor(method);
  if (!hasRole(principal, role)) {
    throw permissionDenied(principal, role, `${method.parent.typeName}/${method.name}`);
  }
}

/** PERMISSION_DENIED for an action that needs `role`, naming what was asked and the role it takes. */
export function permissionDenied(principal: Principal, role: Role, what: string): ConnectError {
  return connectErrorWithDetail(`${principal.id} may not call ${what}: it needs the role "${role}"`, Code.PermissionDenied, {
    reason: "ROLE_REQUIRED",
  });
}
