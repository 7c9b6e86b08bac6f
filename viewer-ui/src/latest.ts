// Keeps at most one request in flight and runs only the latest waiting one: scrolling or
// dragging faster than frames arrive skips intermediate frames instead of queueing them.

export class Latest<T> {
  private running = false;
  private next: (() => Promise<T>) | null = null;

  constructor(private readonly onResult: (value: T) => void, private readonly onError: (e: unknown) => void) {}

  submit(task: () => Promise<T>): void {
    this.next = task;
    if (!this.running) void this.drain();
  }

  get busy(): boolean {
    return this.running;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.next) {
        const task = this.next;
        this.next = null;
        try {
          this.onResult(await task());
        } catch (e) {
          this.onError(e);
        }
      }
    } finally {
      // A throwing callback must not leave the queue "running" (and the viewport frozen).
      this.running = false;
    }
  }
}
