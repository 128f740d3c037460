import { DlqSection } from '../components/DlqSection.js';
import { QueueStatsPanel } from '../components/QueueStatsPanel.js';

/** `#/queues`: the queue's live counts and chart, and the tenant's dead letter queue. */
export function QueuesPage() {
  return (
    <section class="queues">
      <div class="page-head">
        <h1>Queues &amp; DLQ</h1>
      </div>
      <QueueStatsPanel />
      <DlqSection />
    </section>
  );
}
