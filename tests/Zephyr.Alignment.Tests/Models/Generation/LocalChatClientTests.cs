using Microsoft.Extensions.AI;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>One loaded tiny model for the class.</summary>
public sealed class TinyChatClientFixture : IDisposable
{
    public LocalChatClient Client { get; } = LocalChatClient.Load(TestPaths.Fixture("tiny-llama"), new LocalChatClientOptions { ModelId = "tiny", Defaults = new GenerationOptions { MaxNewTokens = 12 } });

    public void Dispose() => Client.Dispose();
}

public sealed class LocalChatClientTests(TinyChatClientFixture fixture) : IClassFixture<TinyChatClientFixture>
{
    private static readonly string Folder = TestPaths.Fixture("tiny-llama");
    private readonly LocalChatClient _client = fixture.Client;

    [Fact]
    public async Task A_greedy_response_is_the_generator_output_of_the_templated_prompt_decoded_without_special_tokens()
    {
        ChatResponse response = await _client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello there")]);

        ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(Folder);
        IReadOnlyList<int> prompt = tokenizer.EncodeChat(ChatTemplateRecognizer.FromTokenizerConfig(Folder), [ConversationMessage.User("Hello there")], addGenerationPrompt: true).InputIds;
        using CausalLanguageModel model = PretrainedModel.Load(Folder);
        GenerationResult expected = new TokenGenerator(model, tokenizer).Generate(prompt, new GenerationOptions { MaxNewTokens = 12 });

        Assert.Equal(tokenizer.Decode(expected.TokenIds, skipSpecialTokens: true), response.Text);
        Assert.Equal("tiny", response.ModelId);
        Assert.Equal(prompt.Count, response.Usage!.InputTokenCount);
        Assert.Equal(expected.TokenIds.Count, response.Usage.OutputTokenCount);
        Assert.Equal(ChatRole.Assistant, Assert.Single(response.Messages).Role);
    }

    [Fact]
    public async Task Streaming_yields_the_same_text_as_the_whole_response_and_ends_with_a_finish_reason_and_usage()
    {
        var options = new ChatOptions { Temperature = 0.9f, TopP = 0.95f, Seed = 5, MaxOutputTokens = 10 };
        ChatResponse whole = await _client.GetResponseAsync([new ChatMessage(ChatRole.User, "Tell me a story")], options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in _client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Tell me a story")], options))
        {
            updates.Add(update);
        }

        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.NotNull(updates[^1].FinishReason);
        Assert.Single(updates[^1].Contents.OfType<UsageContent>());
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
    }

    [Fact]
    public async Task Concurrent_requests_are_queued_and_give_what_they_give_one_at_a_time()
    {
        ChatOptions Options(int seed) => new() { Temperature = 1f, Seed = seed, MaxOutputTokens = 8 };
        string[] sequential = new string[4];
        for (int i = 0; i < 4; i++)
        {
            sequential[i] = (await _client.GetResponseAsync([new ChatMessage(ChatRole.User, $"prompt {i}")], Options(i))).Text;
        }

        ChatResponse[] concurrent = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => _client.GetResponseAsync([new ChatMessage(ChatRole.User, $"prompt {i}")], Options(i))));
        Assert.Equal(sequential, concurrent.Select(r => r.Text));
    }

    [Fact]
    public async Task Stop_sequences_are_cut_from_the_text()
    {
        string full = (await _client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")])).Text;
        Assert.True(full.Length > 3, $"the fixture should say something: '{full}'");
        string stop = full.Substring(2, 2);
        ChatResponse cut = await _client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], new ChatOptions { StopSequences = [stop] });
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], cut.Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
    }

    [Fact]
    public async Task Options_the_model_cannot_honour_are_refused_not_ignored()
    {
        ChatMessage[] messages = [new(ChatRole.User, "Hi")];
        await Assert.ThrowsAsync<NotSupportedException>(() => _client.GetResponseAsync(messages, new ChatOptions { FrequencyPenalty = 0.5f }));
        await Assert.ThrowsAsync<NotSupportedException>(() => _client.GetResponseAsync(messages, new ChatOptions { ResponseFormat = ChatResponseFormat.Json }));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.GetResponseAsync(messages, new ChatOptions { ModelId = "gpt-4" }));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.GetResponseAsync(messages, new ChatOptions { TopP = 2 }));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.GetResponseAsync([new ChatMessage(ChatRole.User, string.Join(' ', Enumerable.Repeat("word", 400)))]));
    }

    [Fact]
    public async Task A_cancelled_request_throws_and_frees_the_queue()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], cancellationToken: cancel.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ChatResponseUpdate _ in _client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hi")], cancellationToken: cancel.Token))
            {
            }
        });
        Assert.NotEmpty((await _client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")])).Text);
    }

    [Fact]
    public void Metadata_names_the_model()
    {
        var metadata = (ChatClientMetadata)_client.GetService(typeof(ChatClientMetadata))!;
        Assert.Equal("tiny", metadata.DefaultModelId);
        Assert.Same(_client, _client.GetService<LocalChatClient>());
    }
}
