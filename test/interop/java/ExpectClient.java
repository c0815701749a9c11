// A tiny java.net.http client for the interop suite (test/interop-java.test.ts):
// PUT uploads with expectContinue(true), all at once, each given WAIT_SECONDS to
// answer; one JSON line per upload: its status, an error, or "hung".
//
//   java ExpectClient.java WAIT_SECONDS [LABEL URL BYTES CONTENT_TYPE AUTHORIZATION]...
//
// (AUTHORIZATION may be "-" for none.) Run from source: no javac step needed.
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

public class ExpectClient {
  public static void main(String[] args) throws Exception {
    long wait = Long.parseLong(args[0]);
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<String> labels = new ArrayList<>();
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 1; i + 4 < args.length; i += 5) {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(args[i + 1]))
        .expectContinue(true)
        .timeout(Duration.ofSeconds(wait))
        .header("content-type", args[i + 3])
        .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[Integer.parseInt(args[i + 2])]));
      if (!args[i + 4].equals("-")) request.header("authorization", args[i + 4]);
      labels.add(args[i]);
      calls.add(client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(wait);
    System.out.println("{\"java\":\"" + System.getProperty("java.version") + "\"}");
    for (int i = 0; i < calls.size(); i++) {
      String outcome;
      try {
        HttpResponse<String> response = calls.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        outcome = "\"status\":" + response.statusCode();
      } catch (TimeoutException e) {
        outcome = "\"hung\":true";
      } catch (Exception e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        outcome = "\"error\":\"" + cause.getClass().getSimpleName() + "\"";
      }
      System.out.println("{\"label\":\"" + labels.get(i) + "\"," + outcome + "}");
    }
    System.exit(0);
  }
}
