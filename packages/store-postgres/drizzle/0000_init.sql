CREATE TABLE "dlq" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "dlq_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"execution_id" text NOT NULL,
	"node_id" text NOT NULL,
	"input_data" jsonb,
	"error" text NOT NULL,
	"stack" text,
	"attempts" integer NOT NULL,
	"failed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "executions" (
	"execution_id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"workflow_version" text NOT NULL,
	"status" text NOT NULL,
	"initial_data" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"parent_execution_id" text,
	"parent_node_id" text,
	"depth" integer DEFAULT 0 NOT NULL,
	"priority" integer,
	"idempotency_key" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	"version" integer DEFAULT 0 NOT NULL,
	"remaining" integer NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "executions_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	CONSTRAINT "executions_idempotency_key_unique" UNIQUE("tenant_id","idempotency_key"),
	CONSTRAINT "executions_seq_unique" UNIQUE("seq"),
	CONSTRAINT "executions_status_check" CHECK ("status" IN ('pending', 'running', 'paused', 'completed', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "logs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "logs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"execution_id" text NOT NULL,
	"node_id" text,
	"level" text NOT NULL,
	"message" text NOT NULL,
	"meta" jsonb,
	"timestamp" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "node_states" (
	"execution_id" text NOT NULL,
	"node_id" text NOT NULL,
	"ordinal" integer NOT NULL,
	"status" text NOT NULL,
	"data" jsonb,
	"error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"skip_reason" text,
	"next_nodes" jsonb,
	"continued_on_fail" boolean DEFAULT false NOT NULL,
	CONSTRAINT "node_states_execution_id_node_id_pk" PRIMARY KEY("execution_id","node_id"),
	CONSTRAINT "node_states_status_check" CHECK ("status" IN ('pending', 'queued', 'running', 'waiting', 'delayed', 'completed', 'failed', 'skipped', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "spans" (
	"span_id" text PRIMARY KEY NOT NULL,
	"execution_id" text NOT NULL,
	"node_id" text NOT NULL,
	"node_type" text,
	"attempt" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"status" text NOT NULL,
	"error" text,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "spans_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "workflow_heads" (
	"tenant_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"current_version" text,
	CONSTRAINT "workflow_heads_tenant_id_workflow_id_pk" PRIMARY KEY("tenant_id","workflow_id")
);
--> statement-breakpoint
CREATE TABLE "workflows" (
	"tenant_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"version" text NOT NULL,
	"definition" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "workflows_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	CONSTRAINT "workflows_tenant_id_workflow_id_version_pk" PRIMARY KEY("tenant_id","workflow_id","version")
);
--> statement-breakpoint
CREATE INDEX "dlq_tenant_seq_idx" ON "dlq" USING btree ("tenant_id","seq");--> statement-breakpoint
CREATE INDEX "executions_list_idx" ON "executions" USING btree ("tenant_id","workflow_id","status","seq");--> statement-breakpoint
CREATE INDEX "executions_tenant_seq_idx" ON "executions" USING btree ("tenant_id","seq");--> statement-breakpoint
CREATE INDEX "executions_parent_idx" ON "executions" USING btree ("parent_execution_id") WHERE "executions"."parent_execution_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "executions_active_idx" ON "executions" USING btree ("seq") WHERE "executions"."status" IN ('pending', 'running');--> statement-breakpoint
CREATE INDEX "executions_retention_idx" ON "executions" USING btree ("completed_at") WHERE "executions"."status" IN ('completed', 'failed', 'cancelled');--> statement-breakpoint
CREATE INDEX "logs_execution_idx" ON "logs" USING btree ("execution_id","id");--> statement-breakpoint
CREATE INDEX "spans_execution_idx" ON "spans" USING btree ("execution_id","started_at");