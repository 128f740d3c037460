CREATE TABLE "execution_signals" (
	"execution_id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "execution_signals_execution_id_name_pk" PRIMARY KEY("execution_id","name"),
	CONSTRAINT "execution_signals_kind_check" CHECK ("kind" IN ('signal', 'timeout'))
);
