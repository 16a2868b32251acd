using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Polly.Timeout;
using Zephyr.Alignment.Aif.Clients;

namespace Zephyr.Alignment.Tests.Aif;

public sealed class ResilientChatClientTests
{
    [Fact]
    public async Task Each_attempt_is_timed_out_and_retried_within_the_bound()
    {
        var slow = new ScriptedChatClient(_ => Task.Delay(Timeout.Infinite));
        var client = new ResilientChatClient(slow, maxRetries: 2, timeout: TimeSpan.FromMilliseconds(50), baseDelay: TimeSpan.Zero);
        await Assert.ThrowsAsync<TimeoutRejectedException>(() => client.GetResponseAsync("Hi"));
        Assert.Equal(3, slow.Calls);
    }

    [Fact]
    public async Task Transient_failures_are_retried_and_others_are_not()
    {
        var flaky = new ScriptedChatClient(n => n < 3 ? throw new HttpRequestException("connection reset") : Task.CompletedTask);
        ChatResponse response = await new ResilientChatClient(flaky, maxRetries: 4, TimeSpan.FromSeconds(10), TimeSpan.Zero).GetResponseAsync("Hi");
        Assert.Equal("answer 3", response.Text);

        var refused = new ScriptedChatClient(_ => throw new ClientResultException("bad request", new StatusResponse(400)));
        await Assert.ThrowsAsync<ClientResultException>(() => new ResilientChatClient(refused, maxRetries: 4, TimeSpan.FromSeconds(10), TimeSpan.Zero).GetResponseAsync("Hi"));
        Assert.Equal(1, refused.Calls);

        Assert.True(ResilientChatClient.IsTransient(new ClientResultException("busy", new StatusResponse(503))));
        Assert.True(ResilientChatClient.IsTransient(new ClientResultException("slow down", new StatusResponse(429))));
        Assert.False(ResilientChatClient.IsTransient(new ClientResultException("no key", new StatusResponse(401))));
    }

    /// <summary>A chat client whose n-th call (1-based) first awaits <c>before(n)</c>, then answers "answer n".</summary>
    private sealed class ScriptedChatClient(Func<int, Task> before) : IChatClient
    {
        private int _calls;

        public int Calls => _calls;

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            int n = Interlocked.Increment(ref _calls);
            await before(n).WaitAsync(cancellationToken);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, $"answer {n}"));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class StatusResponse(int status) : PipelineResponse
    {
        public override int Status => status;

        public override string ReasonPhrase => string.Empty;

        public override Stream? ContentStream { get; set; }

        public override BinaryData Content => BinaryData.Empty;

        protected override PipelineResponseHeaders HeadersCore => throw new NotSupportedException();

        public override BinaryData BufferContent(CancellationToken cancellationToken = default) => BinaryData.Empty;

        public override ValueTask<BinaryData> BufferContentAsync(CancellationToken cancellationToken = default) => new(BinaryData.Empty);

        public override void Dispose()
        {
        }
    }
}
