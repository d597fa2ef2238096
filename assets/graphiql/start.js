// Starts GraphiQL on this server: queries and mutations over POST /graphql, subscriptions over
// /graphql/ws. Put `{"Authorization": "Bearer …"}` in the Headers tab: HTTP requests send it,
// and each subscription presents it in `connection_init` (one websocket per token, so that a
// token typed later, or changed, is the one a new subscription uses).
(function () {
  var endpoint = window.location.origin + "/graphql";
  var socketUrl = endpoint.replace(/^http/, "ws") + "/ws";
  var sockets = {};
  function authorization(headers) {
    if (!headers) {
      return "";
    }
    return headers.Authorization || headers.authorization || "";
  }
  function socketFor(token) {
    if (!sockets[token]) {
      sockets[token] = graphqlWs.createClient({
        url: socketUrl,
        lazy: true,
        connectionParams: token ? { authorization: token } : {},
      });
    }
    return sockets[token];
  }
  function fetcher(params, options) {
    var token = authorization(options && options.headers);
    return GraphiQL.createFetcher({ url: endpoint, wsClient: socketFor(token) })(params, options);
  }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
    })
  );
})();
